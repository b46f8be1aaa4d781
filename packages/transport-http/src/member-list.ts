import { Endpoint, type EndpointOptions } from './endpoint.js';

/**
 * The members an adapter may talk to, and the one in use. Calls try the member in use first, then
 * the others in list order after it; a member that fails hands "in use" on to the next one, and a
 * member that answers becomes the one in use. `replace` swaps in a refreshed list: members that
 * stay keep their connections, removed ones are closed once their pending requests end.
 *
 * A list whose endpoints were all https at construction is `httpsOnly`: it never takes an `http:`
 * URL afterwards (a member advertising one is skipped), so credentials never travel in clear and
 * the TLS options (client certificate included) stay in use.
 */
export class MemberList {
  readonly #options: EndpointOptions;
  #members: Endpoint[];
  #current = 0;
  readonly #retired = new Set<Endpoint>();

  /** True when every endpoint given at construction is https: `http:` URLs are then refused. */
  readonly httpsOnly: boolean;

  constructor(urls: readonly string[], options: EndpointOptions) {
    this.#options = options;
    this.httpsOnly = urls.every((url) => url.startsWith('https:'));
    this.#members = urls.map((url) => new Endpoint(url, options));
  }

  /** Whether this list may use `url` (an origin): any URL, or only https ones for an https-only list. */
  accepts(url: string): boolean {
    return !this.httpsOnly || url.startsWith('https:');
  }

  /**
   * The endpoint for `url` (an origin the list accepts): the listed member's own, or a new one with
   * the same options that the caller must `close()` when `temporary`.
   */
  endpointFor(url: string): { endpoint: Endpoint; temporary: boolean } {
    const listed = this.#members.find((member) => member.url === url);
    if (listed) return { endpoint: listed, temporary: false };
    return { endpoint: new Endpoint(url, this.#options), temporary: true };
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
   * Replaces the list with `given` (those it accepts; nothing changes when none is). The member in
   * use stays in use when it is still listed, else the first of the new list is.
   */
  replace(given: readonly string[]): void {
    const urls = given.filter((url) => this.accepts(url));
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
