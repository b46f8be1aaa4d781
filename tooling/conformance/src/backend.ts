import type { Client } from '@etc/client';
import type { WireRequest, WireResponse } from '@etc/protocol';

/** Which server a backend talks to. */
export type BackendName = 'mock' | 'etcd';

/**
 * One server under test, as the scenarios see it: humane clients, raw wire requests, and a way to
 * let time pass. Close it when the test is done (it closes the clients it handed out).
 */
export interface Backend {
  readonly name: BackendName;
  /**
   * True when nothing but the current test moves the store index, so exact index arithmetic
   * holds (a fresh mock store); false for a server shared with other test files.
   */
  readonly exclusive: boolean;
  /** A new client on this server; closed with the backend. */
  client(): Client;
  /** Sends one request as it goes on the wire and answers status, lower-cased headers and body. */
  raw(request: WireRequest): Promise<WireResponse>;
  /** Lets `ms` milliseconds pass: a real sleep, or fake timers advanced when they are on. */
  advance(ms: number): Promise<void>;
  /** Closes every client handed out and releases the server side (a mock store). */
  close(): Promise<void>;
}

/** Builds a fresh backend for one test; `name` is known before any is built. */
export interface BackendFactory {
  readonly name: BackendName;
  create(): Promise<Backend>;
}
