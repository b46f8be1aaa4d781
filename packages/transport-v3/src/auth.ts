/**
 * The v3 auth token of an adapter: fetched with `Authenticate` on first use (once for all
 * concurrent calls), fetched again when etcd answers that it no longer knows it. While etcd's auth
 * is off, Authenticate is refused ("authentication is not enabled"): calls then go without a token
 * (as etcd's own client does, and as etcd's v2 API ignores credentials while its auth is off), and
 * the first call etcd refuses for want of one (auth was turned on meanwhile) authenticates and is
 * sent once more. The password is kept in a private field, so inspection never shows it.
 */
import type { AbortLike } from '@etc/protocol';
import { isAuthNotEnabled, isInvalidToken, isTokenMissing, type Member } from './member.js';

export class TokenSource {
  readonly #auth: { username: string; password: string } | undefined;
  #token: Promise<string | undefined> | undefined;

  constructor(auth: { username: string; password: string } | undefined) {
    this.#auth = auth;
  }

  /** Whether this adapter has credentials (a call without a token may still be refused for want of one). */
  get hasCredentials(): boolean {
    return this.#auth !== undefined;
  }

  /** The token to send, or `undefined` without auth. */
  async token(member: Member, signal: AbortLike | undefined): Promise<string | undefined> {
    const auth = this.#auth;
    if (auth === undefined) return undefined;
    if (this.#token === undefined) {
      const pending = member
        .authenticate(auth.username, auth.password, { signal })
        .catch((error: unknown): string | undefined => {
          if (isAuthNotEnabled(error)) return undefined;
          throw error;
        });
      this.#token = pending;
      pending.catch(() => {
        if (this.#token === pending) this.#token = undefined;
      });
    }
    return this.#token;
  }

  /** Forgets the current token (etcd said it no longer knows it); the next call authenticates. */
  forget(): void {
    this.#token = undefined;
  }

  /**
   * Runs `fn` with the token; when etcd refuses the token as unknown, authenticates again and runs
   * it once more.
   */
  async with<T>(
    member: Member,
    signal: AbortLike | undefined,
    fn: (token: string | undefined) => Promise<T>,
  ): Promise<T> {
    // Without auth there is no token to wait for: no extra promise on every call.
    if (this.#auth === undefined) return fn(undefined);
    const token = await this.token(member, signal);
    try {
      return await fn(token);
    } catch (error) {
      const renew = token === undefined ? isTokenMissing(error) : isInvalidToken(error);
      if (!renew) throw error;
      if (this.#token !== undefined && (await this.#token.catch(() => undefined)) === token)
        this.#token = undefined;
      return fn(await this.token(member, signal));
    }
  }
}
