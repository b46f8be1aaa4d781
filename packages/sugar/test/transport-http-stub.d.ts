// Stands in for `@etc/transport-http` when the sugar type tests are compiled with
// `exactOptionalPropertyTypes` (tsconfig.exact.json): the checks are about sugar's option types,
// and the transport's own sources are compiled with the project's settings elsewhere.
import type { Adapter } from '@etc/protocol';

export interface HttpAdapterOptions {
  endpoints?: string | readonly string[] | undefined;
  [option: string]: unknown;
}

export declare class HttpAdapter implements Adapter {
  constructor(options?: HttpAdapterOptions);
  readonly url: string;
  get: Adapter['get'];
  set: Adapter['set'];
  append: Adapter['append'];
  delete: Adapter['delete'];
  close(): Promise<void>;
}
