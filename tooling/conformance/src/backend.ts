import type { Client } from '@etc/client';
import type { WireRequest, WireResponse } from '@etc/protocol';

/** Which server a backend talks to. */
export type BackendName = 'mock' | 'etcd' | 'v3';

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
  /**
   * Sends one request as it goes on the wire and answers status, lower-cased headers and body. A
   * backend without a v2 wire (the v3 adapter) throws `RawUnavailable`: the scenario is skipped.
   */
  raw(request: WireRequest): Promise<WireResponse>;
  /** Lets `ms` milliseconds pass: a real sleep, or fake timers advanced when they are on. */
  advance(ms: number): Promise<void>;
  /** Closes every client handed out and releases the server side (a mock store). */
  close(): Promise<void>;
}

/** Builds a fresh backend for one test; `name` is known before any is built. */
export interface BackendFactory {
  readonly name: BackendName;
  /**
   * Scenarios whose v2 behaviour this backend deliberately does not have, by scenario name, with
   * the reason (each is listed in that backend's README); they are registered as skipped.
   */
  readonly differences?: Readonly<Record<string, string>>;
  create(): Promise<Backend>;
}

/** Thrown by `raw()` of a backend that has no v2 wire; the scenario that asked is reported skipped. */
export class RawUnavailable extends Error {
  override name = 'RawUnavailable';
}
