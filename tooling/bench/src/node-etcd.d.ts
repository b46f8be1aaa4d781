// The part of node-etcd 7 (an untyped CommonJS package) that the peer benchmark uses.
declare module 'node-etcd' {
  import type { Agent } from 'node:http';

  type Callback = (error: Error | null, body: unknown, headers: Record<string, string>) => void;

  interface EtcdOptions {
    agent?: Agent;
    pool?: { maxSockets: number };
    timeout?: number;
  }

  class Etcd {
    constructor(hosts: string | string[], options?: EtcdOptions);
    get(key: string, options: Record<string, unknown>, callback: Callback): unknown;
    get(key: string, callback: Callback): unknown;
    set(key: string, value: string, callback: Callback): unknown;
  }

  export = Etcd;
}
