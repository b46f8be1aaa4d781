import { Directory, type EtcdResult, type Node, Value } from '@etc/client';

/**
 * A string as Go's `encoding/json` writes it, so `-o json` matches etcdctl v2 byte for byte: `<`,
 * `>`, `&`, U+2028 and U+2029 escaped as `\u00XX`/`\u20XX`, control characters as `\u00XX` except
 * `\n`, `\r`, `\t`, and a lone surrogate (text that was not UTF-8) as U+FFFD.
 */
export function goString(text: string): string {
  let out = '"';
  for (let char of text) {
    let code = char.codePointAt(0) as number;
    if (code >= 0xd800 && code <= 0xdfff) {
      char = '\ufffd';
      code = 0xfffd;
    }
    if (char === '"') out += '\\"';
    else if (char === '\\') out += '\\\\';
    else if (char === '\n') out += '\\n';
    else if (char === '\r') out += '\\r';
    else if (char === '\t') out += '\\t';
    else if (
      code < 0x20 ||
      char === '<' ||
      char === '>' ||
      char === '&' ||
      code === 0x2028 ||
      code === 0x2029
    )
      out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += char;
  }
  return `${out}"`;
}

/** A time as Go's `time.Time` marshals it (RFC 3339 in UTC, fraction without trailing zeros). */
export function goTime(date: Date): string {
  const iso = date.toISOString(); // 2026-12-01T22:43:12.366Z
  const [whole, fraction = ''] = iso.slice(0, -1).split('.');
  const digits = fraction.replace(/0+$/, '');
  return `${whole}${digits ? `.${digits}` : ''}Z`;
}

/** A node as etcdctl v2's Go client marshals `client.Node`. */
export function goNode(node: Node): string {
  const fields = [`"key":${goString(node.key === '/' ? '' : node.key)}`];
  if (node instanceof Directory) fields.push('"dir":true');
  fields.push(`"value":${goString(node instanceof Value ? node.value : '')}`);
  const children = node instanceof Directory ? node.nodes : [];
  fields.push(`"nodes":${children.length === 0 ? 'null' : `[${children.map(goNode).join(',')}]`}`);
  fields.push(`"createdIndex":${node.createdIndex ?? 0}`, `"modifiedIndex":${node.modifiedIndex ?? 0}`);
  if (node.expiration !== undefined) fields.push(`"expiration":${goString(goTime(node.expiration))}`);
  if (node.ttl !== undefined && node.ttl !== 0) fields.push(`"ttl":${node.ttl}`);
  return `{${fields.join(',')}}`;
}

/** A result as etcdctl v2 prints it with `-o json`: `{"action":…,"node":…,"prevNode":…}`. */
export function goResponse(result: EtcdResult): string {
  const prev = result.prevNode === undefined ? 'null' : goNode(result.prevNode);
  return `{"action":${goString(result.action)},"node":${goNode(result.node)},"prevNode":${prev}}`;
}
