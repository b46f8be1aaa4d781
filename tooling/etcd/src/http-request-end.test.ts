import { describe, expect, it } from 'vitest';
import { httpRequestEnd } from './http-request-end.js';

const bytes = (text: string) => Buffer.from(text, 'latin1');

describe('httpRequestEnd', () => {
  it('waits for the end of the headers of a request without a body', () => {
    expect(httpRequestEnd(bytes('GET /v2/keys/ HTTP/1.1\r\nHost: x\r\n'))).toBeUndefined();
    const whole = 'GET /v2/keys/ HTTP/1.1\r\nHost: x\r\n\r\n';
    expect(httpRequestEnd(bytes(`${whole}GET /next`))).toBe(whole.length);
  });

  it('counts a Content-Length body', () => {
    const head = 'PUT /v2/keys/a HTTP/1.1\r\ncontent-LENGTH: 7\r\n\r\n';
    expect(httpRequestEnd(bytes(`${head}value=`))).toBeUndefined();
    expect(httpRequestEnd(bytes(`${head}value=x`))).toBe(head.length + 7);
  });

  it('follows a chunked body to its last chunk and trailers', () => {
    const head = 'POST /v2/keys/q HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n';
    const body = '3\r\nval\r\n4;ext=1\r\nue=x\r\n0\r\n';
    expect(httpRequestEnd(bytes(`${head}${body}`))).toBeUndefined();
    expect(httpRequestEnd(bytes(`${head}${body}\r\n`))).toBe(head.length + body.length + 2);
    expect(httpRequestEnd(bytes(`${head}${body}X-T: 1\r\n`))).toBeUndefined();
    expect(httpRequestEnd(bytes(`${head}${body}X-T: 1\r\n\r\n`))).toBe(head.length + body.length + 10);
    expect(httpRequestEnd(bytes(`${head}3\r\nva`))).toBeUndefined();
  });
});
