import type { Members } from '@etc/protocol';
import type { Member } from './member.js';

/**
 * The members of the cluster and the one in use (sticky; another takes over when it fails).
 * `replace` swaps in the list member discovery found. A list whose endpoints were all https at
 * construction is `httpsOnly`: it never takes an `http:` URL afterwards (a member advertising one
 * is left out), so tokens never travel in clear and the TLS options stay in use.
 */
export class MemberList implements Members<Member> {
  #current = 0;
  #all: readonly Member[];
  /** True when every endpoint given at construction is https: `http:` URLs are then refused. */
  readonly httpsOnly: boolean;

  constructor(all: readonly Member[]) {
    this.#all = all;
    this.httpsOnly = all.every((member) => member.url.startsWith('https:'));
  }

  /** Every member, in list order. */
  get all(): readonly Member[] {
    return this.#all;
  }

  get current(): Member {
    return this.#all[this.#current] as Member;
  }

  /** Whether this list may use `url`: any URL, or only https ones for an https-only list. */
  accepts(url: string): boolean {
    return !this.httpsOnly || url.startsWith('https:');
  }

  order(): readonly Member[] {
    if (this.#current === 0) return this.#all;
    return [...this.#all.slice(this.#current), ...this.#all.slice(0, this.#current)];
  }

  use(member: Member): void {
    const at = this.#all.indexOf(member);
    if (at >= 0) this.#current = at;
  }

  failed(member: Member): void {
    if (this.current === member && this.#all.length > 1)
      this.#current = (this.#current + 1) % this.#all.length;
  }

  /**
   * Replaces the list with the members at `urls` (those it accepts; nothing changes when none is):
   * members that stay are kept (with their connections), `make` makes the new ones. The member in
   * use stays in use when it is still listed, else the first of the new list is. Resolves to the
   * members that were removed (the caller retires them).
   */
  replace(urls: readonly string[], make: (url: string) => Member): Member[] {
    const wanted = [...new Set(urls.filter((url) => this.accepts(url)))];
    if (wanted.length === 0) return [];
    const current = this.current;
    const next = wanted.map((url) => this.#all.find((member) => member.url === url) ?? make(url));
    const removed = this.#all.filter((member) => !next.includes(member));
    this.#all = next;
    this.#current = Math.max(0, next.indexOf(current));
    return removed;
  }
}
