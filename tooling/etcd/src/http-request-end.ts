const HEADER_END = Buffer.from('\r\n\r\n');
const CRLF = Buffer.from('\r\n');

/**
 * Finds where the first HTTP/1.1 request in `data` ends: resolves the request line and headers,
 * then a `Content-Length` body or a chunked body (with trailers). Returns the number of bytes of
 * the complete request, or `undefined` while it is incomplete.
 */
export function httpRequestEnd(data: Buffer): number | undefined {
  const headerEnd = data.indexOf(HEADER_END);
  if (headerEnd < 0) return undefined;
  const bodyStart = headerEnd + HEADER_END.length;
  const headers = data.subarray(0, headerEnd).toString('latin1').split('\r\n').slice(1);
  const header = (name: string) =>
    headers
      .filter((line) => line.slice(0, line.indexOf(':')).trim().toLowerCase() === name)
      .map((line) => line.slice(line.indexOf(':') + 1).trim());
  if (header('transfer-encoding').some((value) => /chunked/i.test(value))) {
    return chunkedEnd(data, bodyStart);
  }
  const length = Number(header('content-length')[0] ?? 0);
  const end = bodyStart + (Number.isFinite(length) ? length : 0);
  return data.length >= end ? end : undefined;
}

function chunkedEnd(data: Buffer, offset: number): number | undefined {
  for (;;) {
    const lineEnd = data.indexOf(CRLF, offset);
    if (lineEnd < 0) return undefined;
    const size = Number.parseInt(data.subarray(offset, lineEnd).toString('latin1').split(';')[0] ?? '', 16);
    if (Number.isNaN(size)) return data.length; // malformed: treat what we have as the request
    offset = lineEnd + CRLF.length;
    if (size === 0) {
      // trailers, each ending in CRLF, then an empty line
      for (;;) {
        const trailerEnd = data.indexOf(CRLF, offset);
        if (trailerEnd < 0) return undefined;
        const empty = trailerEnd === offset;
        offset = trailerEnd + CRLF.length;
        if (empty) return offset;
      }
    }
    offset += size + CRLF.length;
    if (data.length < offset) return undefined;
  }
}
