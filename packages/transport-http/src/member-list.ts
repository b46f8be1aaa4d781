import { Endpoint, type EndpointOptions } from './endpoint.js';

/**
 * The members an adapter may talk to, and the one in use. Calls try the member in use first, then
 * the others in list order after it; a member that fails hands "in use" on to the next one, and a
 * member that answers becomes the one in use. `replace` swaps in a refreshed list: members that
 * stay keep their connections, removed ones are closed once their pending requests end.
 */
export class MemberList {
  readonly #options: EndpointOptions;
  #members: Endpoint[];
  #current = 0;
  readonly #retired = new Set<Endpoint>();

  constructor(urls: readonly string[], options: EndpointOptions) {
    this.#options = options;
    this.#members = urls.map((url) => new Endpoint(url, options));
  }

  /** The members' URLs, in list order. */
  get urls(): string[] {
    return this.#members.map((member) => member.url);
  }

  /** The member in use. */
  get current(): Endpoint {
    return this.#members[this.#current] as Endpoint;
  }

  /** The order in which a call tries the members: the one in use, then the ones after it. */
  order(): readonly Endpoint[] {
    const members = this.#members;
    const start = this.#current;
    // The list is never changed in place (`replace` swaps in a new array), so the common case
    // hands it out as it is.
    if (start === 0) return members;
    return members.slice(start).concat(members.slice(0, start));
  }

  /** Makes `member` the one in use (it just answered). */
  use(member: Endpoint): void {
    const index = this.#members.indexOf(member);
    if (index >= 0) this.#current = index;
  }

  /** `member` failed: if it is the one in use, the next member in the list takes over. */
  failed(member: Endpoint): void {
    if (this.#members[this.#current] === member) {
      this.#current = (this.#current + 1) % this.#members.length;
    }
  }

  /**
   * Replaces the list with `urls` (at least one). The member in use stays in use when it is still
   * listed, else the first of the new list is.
   */
  replace(urls: readonly string[]): void {
    if (urls.length === 0) return;
    const current = this.current;
    const byUrl = new Map(this.#members.map((member) => [member.url, member]));
    const next = urls.map((url) => byUrl.get(url) ?? new Endpoint(url, this.#options));
    for (const member of this.#members) {
      if (next.includes(member)) continue;
      this.#retired.add(member);
      member.drain().finally(() => this.#retired.delete(member));
    }
    this.#members = next;
    this.#current = Math.max(0, next.indexOf(current));
  }

  /** Destroys every member's connections, those of removed members included. */
  async close(): Promise<void> {
    await Promise.all([...this.#members, ...this.#retired].map((member) => member.close()));
  }
}
