import type { Adapter, Layer } from '@etc/protocol';

/** What the suite asks for when it builds an adapter. */
export interface ContractAdapterOptions {
  /** Layers of the test's own: hand them to the adapter's `layers` option, in this order. */
  layers: readonly Layer[];
  /**
   * The default timeout in milliseconds of calls that are not waits (the adapter's `timeout`
   * option); `undefined`: leave the adapter's own default.
   */
  timeout?: number | undefined;
}

/** An adapter the suite tests, and how to end what was started for it. */
export interface ContractSubject {
  adapter: Adapter;
  /** Frees what the factory made besides the adapter (a server, a store). Called after `close()`. */
  dispose?: (() => Promise<void>) | undefined;
}

/**
 * Builds a fresh adapter for one test. Adapters of one test must talk to the same server (a key one
 * of them writes, the others read); the suite keeps every test under a key prefix of its own, so
 * the server may be shared with other tests.
 */
export type MakeAdapter = (options: ContractAdapterOptions) => Promise<ContractSubject>;

/** A subject whose server reports `key` as a node whose expiry has passed but was not swept yet. */
export interface LateExpirySubject extends ContractSubject {
  /** The key that the server answers with a negative `ttl`. */
  key: string;
}

/** What an adapter can do beyond the `Adapter` interface, for the checks that need it. */
export interface ContractFeatures {
  /**
   * Makes an adapter whose server reports a node whose expiry has passed without the server having
   * swept it yet (etcd 3.4 answers such a node with `"ttl": -1` or lower when its expiry sweep runs
   * late). `prefix` is the test's key prefix. Without it, that check is listed as a todo.
   */
  lateExpiry?: ((prefix: string, options: ContractAdapterOptions) => Promise<LateExpirySubject>) | undefined;
  /**
   * Whether the adapter implements the administration seam (`AdminAdapter`: members, stats, health,
   * version, auth). Default `true`; `false` skips those checks.
   */
  admin?: boolean | undefined;
}
