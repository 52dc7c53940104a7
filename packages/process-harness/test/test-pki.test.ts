import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createTestPki, opensslAvailable } from '../src/index.js';

const available = opensslAvailable();
if (!available) console.warn('test PKI tests skipped: the openssl CLI is not installed');

describe.skipIf(!available)('a test PKI', () => {
  it('when a server certificate is issued, then it chains to the CA, names exactly the given SANs, and its key is private', async () => {
    const pki = await createTestPki();
    try {
      const ca = new X509Certificate(readFileSync(pki.caFile));
      expect(ca.ca).toBe(true);
      const issued = await pki.issueServer('db', { dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
      const server = new X509Certificate(readFileSync(issued.certFile));
      expect(server.ca).toBe(false);
      expect(server.verify(ca.publicKey)).toBe(true);
      expect(server.subjectAltName).toBe('DNS:localhost, IP Address:127.0.0.1');
      expect(server.checkHost('localhost')).toBe('localhost');
      expect(server.checkIP('127.0.0.1')).toBe('127.0.0.1');
      expect(server.checkHost('db.example')).toBeUndefined();
      expect(statSync(issued.keyFile).mode & 0o077).toBe(0);
      // A different CA does not vouch for it.
      const other = await createTestPki('another CA');
      expect(server.verify(new X509Certificate(readFileSync(other.caFile)).publicKey)).toBe(false);
      await other.remove();
    } finally {
      await pki.remove();
    }
    expect(existsSync(pki.caFile)).toBe(false);
  });
});
