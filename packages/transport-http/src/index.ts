export { DEFAULT_ENDPOINT, parseEndpoints } from './endpoints.js';
export { HttpAdapter } from './http-adapter.js';
export {
  DEFAULT_CONNECTIONS,
  DEFAULT_TIMEOUT,
  type HttpAdapterOptions,
  type HttpTlsOptions,
} from './options.js';
