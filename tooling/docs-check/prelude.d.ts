// Names the README examples use without declaring them: placeholders for what the reader already
// has (a client made in an earlier example, an AbortSignal, their own functions). Global
// declarations, shadowed by any block that declares the same name itself. Library names (`etcd`,
// `Got`, `keepNode`, ...) are never declared here: a block that uses one must import it.

/** A client made in an earlier example of the same README. */
declare const client: import('@etc/client').Client;
/** An adapter of the reader's choice. */
declare const adapter: import('@etc/client').Adapter;
/** The reader's AbortSignal. */
declare const signal: AbortSignal;
/** TLS material and credentials the reader loaded. */
declare const ca: string;
declare const cert: string;
declare const key: string;
declare const username: string;
declare const password: string;
declare const rootPassword: string;
declare const apiPassword: string;
declare const newPassword: string;
/** The reader's endpoints, and a member id they listed. */
declare const urls: string[];
declare const memberId: string;
/** The reader's own functions that the watch and lock examples call. */
declare function reload(snapshot: import('@etc/client').Got): void;
declare function replaceEverything(snapshot: import('@etc/client').Got): void;
declare function apply(change: import('@etc/client').EtcdResult): void;
declare function reindex(options: { fencingToken: number; abort: AbortSignal }): Promise<void>;
declare const logger: {
  info(fields: Record<string, unknown>): void;
  warn(fields: Record<string, unknown>): void;
};
