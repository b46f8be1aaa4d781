import { InvalidResponse } from '@etc/protocol';
import type { MemberListResponse } from './proto/messages.js';

/**
 * The client URLs (origins) of the voting members in etcd's MemberList answer, in its order,
 * without duplicates. Left out: learners (they serve no writes), members that have not started
 * (no client URLs), URLs that are not plain `http:`/`https:` origins, and those `accepts` refuses
 * (an `http:` URL for an https-only client). Throws `InvalidResponse` when none is left.
 */
export function memberUrls(answer: MemberListResponse, accepts: (url: string) => boolean): string[] {
  const urls: string[] = [];
  for (const member of answer.members) {
    if (member.isLearner) continue;
    for (const text of member.clientUrls) {
      let url: URL;
      try {
        url = new URL(text);
      } catch {
        continue;
      }
      if (url.protocol !== 'http:' && url.protocol !== 'https:') continue;
      if (url.username !== '' || url.password !== '' || url.pathname !== '/' || url.search !== '') continue;
      if (accepts(url.origin) && !urls.includes(url.origin)) urls.push(url.origin);
    }
  }
  if (urls.length === 0) {
    throw new InvalidResponse(200, 'etcd MemberList names no usable client URL');
  }
  return urls;
}
