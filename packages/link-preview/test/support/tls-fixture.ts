import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';

export const opensslAvailable = (): boolean => spawnSync('openssl', ['version'], { stdio: 'ignore' }).status === 0;

export interface ServerCertificate {
  readonly key: Buffer;
  readonly cert: Buffer;
}

export interface TestCa {
  /** PEM file of the CA, for NODE_EXTRA_CA_CERTS. */
  readonly caFile: string;
  /** A key and certificate signed by this CA whose only subjectAltName is `dnsName`. */
  issue(dnsName: string): ServerCertificate;
  remove(): void;
}

/** A throw-away CA made with the openssl CLI in a temporary directory. */
export function createTestCa(): TestCa {
  const dir = mkdtempSync(join(tmpdir(), 'link-preview-pki-'));
  const file = (name: string): string => join(dir, name);
  const openssl = (...args: string[]): void => void execFileSync('openssl', args, { stdio: 'ignore' });
  const newKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  openssl('req', '-x509', ...newKey, '-days', '1', '-subj', '/CN=link-preview test CA', '-keyout', file('ca.key'), '-out', file('ca.pem'));
  return {
    caFile: file('ca.pem'),
    issue(dnsName) {
      const name = (suffix: string): string => file(`${dnsName}.${suffix}`);
      writeFileSync(name('ext'), `subjectAltName=DNS:${dnsName}\n`);
      openssl('req', ...newKey, '-subj', `/CN=${dnsName}`, '-keyout', name('key'), '-out', name('csr'));
      openssl('x509', '-req', '-in', name('csr'), '-CA', file('ca.pem'), '-CAkey', file('ca.key'), '-CAcreateserial', '-days', '1',
        '-extfile', name('ext'), '-out', name('pem'));
      return { key: readFileSync(name('key')), cert: readFileSync(name('pem')) };
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** An HTTPS page server on 127.0.0.1 that records the SNI name of each TLS connection. */
export async function startTlsFixture(certificate: ServerCertificate, body: string): Promise<{ port: number; serverNames: string[]; close(): Promise<void> }> {
  const serverNames: string[] = [];
  const server: Server = createServer({ key: certificate.key, cert: certificate.cert }, (_request, response) => {
    response.writeHead(200, { 'content-type': 'text/html' });
    response.end(body);
  });
  server.on('secureConnection', (socket: TLSSocket) => serverNames.push(String(socket.servername)));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    serverNames,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
