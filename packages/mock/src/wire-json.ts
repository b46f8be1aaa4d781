/** Serialises results and errors byte for byte as etcd's Go `encoding/json` does. */
import type { WireError, WireNode } from '@etc/protocol';

const hex = '0123456789abcdef';

function unicodeEscape(code: number): string {
  return `\\u${hex[(code >> 12) & 15]}${hex[(code >> 8) & 15]}${hex[(code >> 4) & 15]}${hex[code & 15]}`;
}

/**
 * A JSON string literal as Go writes it: `<`, `>`, `&`, U+2028, U+2029 and every control
 * character other than `\n`, `\r`, `\t` become `\uXXXX` (so `\b` is `\u0008`).
 */
export function goQuote(text: string): string {
  let out = '"';
  for (const ch of text) {
    const code = ch.codePointAt(0) ?? 0;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (code < 0x20 || ch === '<' || ch === '>' || ch === '&' || code === 0x2028 || code === 0x2029)
      out += unicodeEscape(code);
    else out += ch;
  }
  return `${out}"`;
}

/**
 * An expiration time as Go's RFC3339Nano in UTC with trailing fraction zeros trimmed
 * (`2026-11-27T04:49:55.37Z`); the mock keeps milliseconds.
 */
export function formatExpiration(ms: number): string {
  let text = formatted.get(ms);
  if (text === undefined) {
    const iso = new Date(ms).toISOString();
    text = iso.replace(/\.(\d*?)0*Z$/, (_, digits: string) => (digits === '' ? 'Z' : `.${digits}Z`));
    if (formatted.size >= formattedLimit) formatted.clear();
    formatted.set(ms, text);
  }
  return text;
}

/** Expirations already formatted: every read of a node with a TTL shows the same one again. */
const formatted = new Map<number, string>();
const formattedLimit = 4096;

/** A node's JSON in etcd's field order (`key,value,dir,expiration,ttl,nodes,modifiedIndex,createdIndex`), every field omitempty. */
export function nodeJson(node: WireNode): string {
  const parts: string[] = [];
  if (node.key) parts.push(`"key":${goQuote(node.key)}`);
  if (node.value !== undefined) parts.push(`"value":${goQuote(node.value)}`);
  if (node.dir) parts.push('"dir":true');
  if (node.expiration) parts.push(`"expiration":${goQuote(node.expiration)}`);
  if (node.ttl) parts.push(`"ttl":${node.ttl}`);
  if (node.nodes && node.nodes.length > 0) parts.push(`"nodes":[${node.nodes.map(nodeJson).join(',')}]`);
  if (node.modifiedIndex) parts.push(`"modifiedIndex":${node.modifiedIndex}`);
  if (node.createdIndex) parts.push(`"createdIndex":${node.createdIndex}`);
  return `{${parts.join(',')}}`;
}

/** The body of a keys-API success: `{"action","node"[,"prevNode"]}` and a trailing newline; no node with `noValue`. */
export function resultJson(
  action: string,
  node: WireNode | undefined,
  prevNode: WireNode | undefined,
): string {
  let out = `{"action":${goQuote(action)}`;
  if (node) out += `,"node":${nodeJson(node)}`;
  if (prevNode) out += `,"prevNode":${nodeJson(prevNode)}`;
  return `${out}}\n`;
}

/** The body of an etcd error: `{"errorCode","message"[,"cause"],"index"}` and a trailing newline. */
export function errorJson(error: WireError): string {
  const cause = error.cause ? `,"cause":${goQuote(error.cause)}` : '';
  return `{"errorCode":${error.errorCode},"message":${goQuote(error.message)}${cause},"index":${error.index}}\n`;
}
