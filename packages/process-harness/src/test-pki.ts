/**
 * A throw-away certificate authority made with the openssl CLI (Node cannot issue certificates),
 * for tests that need real TLS on loopback: a PostgreSQL server with `ssl = on`, an HTTPS fixture.
 */
import { execFile, spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Whether the openssl CLI can be run here (tests skip, with that reason, when it cannot). */
export function opensslAvailable(): boolean {
  return spawnSync('openssl', ['version'], { stdio: 'ignore' }).status === 0;
}

/** Who a server certificate is for: its subjectAltName entries. */
export interface ServerIdentity {
  /** @default [] */
  readonly dnsNames?: readonly string[];
  /** @default [] */
  readonly ipAddresses?: readonly string[];
}

/** PEM files of one issued server certificate and its private key (mode 0600). */
export interface IssuedCertificate {
  readonly certFile: string;
  readonly keyFile: string;
}

export interface TestPki {
  /** The CA's certificate (PEM): what a client is told to trust. */
  readonly caFile: string;
  /** A server certificate signed by this CA, valid for one day, naming exactly `identity`. */
  issueServer(name: string, identity: ServerIdentity): Promise<IssuedCertificate>;
  /** Deletes every key and certificate. */
  remove(): Promise<void>;
}

const NEW_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];

/** A fresh CA (P-256, one day) in a private temporary folder. */
export async function createTestPki(commonName = 'natter test CA'): Promise<TestPki> {
  const directory = await mkdtemp(join(tmpdir(), 'natter-pki-'));
  const file = (name: string): string => join(directory, name);
  const openssl = async (...args: string[]): Promise<void> => {
    await run('openssl', args, { env: { PATH: process.env['PATH'] } });
  };
  await openssl('req', '-x509', ...NEW_KEY, '-days', '1', '-subj', `/CN=${commonName}`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
    '-keyout', file('ca.key'), '-out', file('ca.crt'));
  return {
    caFile: file('ca.crt'),
    async issueServer(name, identity) {
      if (!/^[a-z0-9-]+$/.test(name)) throw new Error(`certificate name must be [a-z0-9-]+, got "${name}"`);
      const names = [...(identity.dnsNames ?? []).map((dns) => `DNS:${dns}`), ...(identity.ipAddresses ?? []).map((ip) => `IP:${ip}`)];
      if (names.length === 0) throw new Error('a server certificate needs at least one DNS name or IP address');
      await writeFile(file(`${name}.ext`), `basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\nsubjectAltName=${names.join(',')}\n`);
      await openssl('req', ...NEW_KEY, '-subj', `/CN=${identity.dnsNames?.[0] ?? identity.ipAddresses![0]}`, '-keyout', file(`${name}.key`), '-out', file(`${name}.csr`));
      await openssl('x509', '-req', '-in', file(`${name}.csr`), '-CA', file('ca.crt'), '-CAkey', file('ca.key'), '-CAcreateserial',
        '-days', '1', '-extfile', file(`${name}.ext`), '-out', file(`${name}.crt`));
      return { certFile: file(`${name}.crt`), keyFile: file(`${name}.key`) };
    },
    remove: () => rm(directory, { recursive: true, force: true }),
  };
}
