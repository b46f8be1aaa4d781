import { Created, Deleted, Got, KeyNotFound, TestFailed, Updated, Value } from '@etc/protocol';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { HttpAdapter } from './http-adapter.js';
import { etcdAnswer, httpServer, type RecordingServer } from './test-servers.js';

const node = { key: '/a b/c', value: 'v', modifiedIndex: 7, createdIndex: 7 };

describe('request encoding', () => {
  let server: RecordingServer;
  let adapter: HttpAdapter;

  beforeAll(async () => {
    server = await httpServer((request, response) => {
      if (request.method === 'GET') etcdAnswer(response, 200, { action: 'get', node });
      else if (request.method === 'PUT') etcdAnswer(response, 200, { action: 'update', node });
      else if (request.method === 'POST') etcdAnswer(response, 201, { action: 'create', node });
      else etcdAnswer(response, 200, { action: 'delete', node: { key: node.key, modifiedIndex: 8 } });
    });
    adapter = new HttpAdapter({ endpoints: `${server.url}/`, auth: { username: 'root', password: 'pä:ss' } });
  });
  afterAll(async () => {
    await adapter.close();
    await server.close();
  });

  const basic = `Basic ${Buffer.from('root:pä:ss').toString('base64')}`;

  it('sends a GET with query parameters, no body, and Basic auth', async () => {
    const result = await adapter.get({ key: '/a b/c', recursive: true, sorted: true, quorum: true });
    expect(result).toBeInstanceOf(Got);
    expect(result.node).toBeInstanceOf(Value);
    expect(result.value).toBe('v');
    expect(result.etcdIndex).toBe(7);
    expect(result.raftIndex).toBe(107);
    const seen = server.requests.at(-1);
    expect(seen).toMatchObject({
      method: 'GET',
      path: '/v2/keys/a%20b/c',
      query: 'recursive=true&sorted=true&quorum=true',
      body: '',
    });
    expect(seen?.headers.authorization).toBe(basic);
    expect(seen?.headers['content-type']).toBeUndefined();
  });

  it('sends a GET of a plain key without a query string', async () => {
    await adapter.get({ key: '/a' });
    expect(server.requests.at(-1)).toMatchObject({ method: 'GET', path: '/v2/keys/a', query: '' });
  });

  it('sends a PUT as a urlencoded form body', async () => {
    const result = await adapter.set({ key: '/a b/c', value: 'x y&z=1', ttl: 5, prevExist: true });
    expect(result).toBeInstanceOf(Updated);
    const seen = server.requests.at(-1);
    expect(seen).toMatchObject({ method: 'PUT', path: '/v2/keys/a%20b/c', query: '' });
    expect(new URLSearchParams(seen?.body)).toEqual(
      new URLSearchParams([
        ['value', 'x y&z=1'],
        ['ttl', '5'],
        ['prevExist', 'true'],
      ]),
    );
    expect(seen?.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(seen?.headers.authorization).toBe(basic);
  });

  it('sends a POST (append) as a form body', async () => {
    const result = await adapter.append({ key: '/queue', value: 'job' });
    expect(result).toBeInstanceOf(Created);
    expect(server.requests.at(-1)).toMatchObject({
      method: 'POST',
      path: '/v2/keys/queue',
      query: '',
      body: 'value=job',
    });
    expect(server.requests.at(-1)?.headers.authorization).toBe(basic);
  });

  it('sends a DELETE with query parameters and no body', async () => {
    const result = await adapter.delete({ key: '/a b/c', prevValue: 'a&b', recursive: true });
    expect(result).toBeInstanceOf(Deleted);
    const seen = server.requests.at(-1);
    expect(seen).toMatchObject({ method: 'DELETE', path: '/v2/keys/a%20b/c', body: '' });
    expect(new URLSearchParams(seen?.query).get('prevValue')).toBe('a&b');
    expect(new URLSearchParams(seen?.query).get('recursive')).toBe('true');
    expect(seen?.headers.authorization).toBe(basic);
  });

  it('exposes its endpoints', () => {
    expect(adapter.url).toBe(server.url);
    expect(adapter.endpoints).toEqual([server.url]);
  });
});

describe('etcd error bodies', () => {
  let server: RecordingServer;
  let adapter: HttpAdapter;
  afterEach(async () => {
    await adapter.close();
    await server.close();
  });

  it('decodes a 404 with errorCode 100 to KeyNotFound with index and cause', async () => {
    server = await httpServer((_request, response) => {
      response.writeHead(404, { 'content-type': 'application/json', 'x-etcd-index': '42' });
      response.end('{"errorCode":100,"message":"Key not found","cause":"/missing","index":42}\n');
    });
    adapter = new HttpAdapter({ endpoints: server.url });
    const error = await adapter.get({ key: '/missing' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KeyNotFound);
    expect(error).toMatchObject({ errorCode: 100, index: 42, cause: '/missing' });
  });

  it('decodes a 412 compare failure on a write to TestFailed', async () => {
    server = await httpServer((_request, response) => {
      response.writeHead(412, { 'content-type': 'application/json', 'x-etcd-index': '9' });
      response.end('{"errorCode":101,"message":"Compare failed","cause":"[x != y]","index":9}\n');
    });
    adapter = new HttpAdapter({ endpoints: server.url });
    const error = await adapter.set({ key: '/k', value: 'x', prevValue: 'y' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TestFailed);
    expect(error).toMatchObject({ errorCode: 101, index: 9, cause: '[x != y]' });
  });
});
