import type { Members } from '@etc/protocol';
import type { Member } from './member.js';

/** The members of the cluster and the one in use (sticky; another takes over when it fails). */
export class MemberList implements Members<Member> {
  #current = 0;

  constructor(readonly all: readonly Member[]) {}

  get current(): Member {
    return this.all[this.#current] as Member;
  }

  order(): readonly Member[] {
    if (this.#current === 0) return this.all;
    return [...this.all.slice(this.#current), ...this.all.slice(0, this.#current)];
  }

  use(member: Member): void {
    const at = this.all.indexOf(member);
    if (at >= 0) this.#current = at;
  }

  failed(member: Member): void {
    if (this.current === member && this.all.length > 1) this.#current = (this.#current + 1) % this.all.length;
  }
}
