import { X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { makeCertificates } from './certs.js';

describe('makeCertificates', () => {
  it('makes a CA, a server certificate for 127.0.0.1 and localhost, and client certificates', () => {
    const certs = makeCertificates();
    try {
      const ca = new X509Certificate(certs.ca);
      const server = new X509Certificate(certs.server.cert);
      const client = new X509Certificate(certs.client.cert);
      const untrusted = new X509Certificate(certs.untrustedClient.cert);
      expect(ca.ca).toBe(true);
      expect(server.verify(ca.publicKey)).toBe(true);
      expect(client.verify(ca.publicKey)).toBe(true);
      expect(untrusted.verify(ca.publicKey)).toBe(false);
      expect(untrusted.verify(new X509Certificate(certs.otherCa).publicKey)).toBe(true);
      expect(server.checkIP('127.0.0.1')).toBe('127.0.0.1');
      expect(server.checkHost('localhost')).toBe('localhost');
      expect(certs.server.key).toContain('PRIVATE KEY');
      expect(existsSync(certs.server.certFile) && existsSync(certs.caFile)).toBe(true);
    } finally {
      certs.remove();
    }
    expect(existsSync(certs.dir)).toBe(false);
  });
});
