import { checkServerIdentity, type ConnectionOptions } from 'node:tls';

/** TLS to PostgreSQL with libpq's `sslmode=verify-full` semantics. */
export interface DatabaseTls {
  readonly mode: 'verify-full';
  /** PEM certificates: the only trust anchors for the server's certificate (never the system's). */
  readonly ca: string;
}

/**
 * node-postgres `ssl` options for verify-full: the chain must end at one of our CA certificates,
 * and the certificate must name the host we dialled (a DNS SAN for a name, an IP SAN for an
 * address). The server refusing TLS is an error, never a fallback to plaintext.
 */
export function verifyFullSsl(host: string, tls: DatabaseTls): ConnectionOptions {
  return {
    ca: tls.ca,
    rejectUnauthorized: true,
    minVersion: 'TLSv1.2',
    // Checked against the configured host itself rather than whatever name the driver hands to
    // tls.connect (older pg versions fell back to "localhost" for IP hosts).
    checkServerIdentity: (_servername, certificate) => checkServerIdentity(host, certificate),
  };
}
