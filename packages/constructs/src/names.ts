// Internal validation of Kubernetes names; not exported from the package.

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

/** Throws unless `value` is an RFC 1123 label (lower-case alphanumerics and '-', at most 63). */
export function assertDnsLabel(what: string, value: string): void {
  if (value.length > 63 || !DNS_LABEL.test(value)) {
    throw new Error(
      `${what} must be a DNS label (at most 63 lower-case letters, digits or '-', ` +
        `starting and ending with a letter or digit), got '${value}'; ` +
        `pass an explicit name such as 'my-app'`,
    );
  }
}

/** Throws unless `value` is an RFC 1123 subdomain (the form Secret and most object names take). */
export function assertDnsSubdomain(what: string, value: string): void {
  const labels = value.split('.');
  if (value.length > 253 || labels.some((label) => !DNS_LABEL.test(label) || label.length > 63)) {
    throw new Error(
      `${what} must be a DNS subdomain (lower-case letters, digits, '-' and '.', at most 253), got '${value}'`,
    );
  }
}

/** Throws unless `value` is an RFC 1035 label, the stricter form Service names need. */
export function assertServiceName(what: string, value: string): void {
  if (value.length > 63 || !DNS_1035_LABEL.test(value)) {
    throw new Error(
      `${what} must be an RFC 1035 label (at most 63 lower-case letters, digits or '-', ` +
        `starting with a letter), got '${value}'; pass a name such as 'my-app-service'`,
    );
  }
}

/** Throws when `path` is not an absolute, normalised path. */
export function assertAbsolutePath(what: string, path: string): void {
  const normalised = path.length > 1 && !path.endsWith('/') && !path.includes('//');
  if (!path.startsWith('/') || !normalised || path.split('/').some((part) => part === '..' || part === '.')) {
    throw new Error(
      `${what} must be an absolute path without '.', '..', '//' or a trailing '/', ` +
        `and not '/', got '${path}'`,
    );
  }
}

/** Throws when `labels` contains a key the construct owns (for example `app`). */
export function assertNoReservedKeys(
  what: string,
  labels: Readonly<Record<string, string>>,
  reserved: readonly string[],
): void {
  for (const key of reserved) {
    if (key in labels) {
      throw new Error(`${what} must not set '${key}' (got '${labels[key]}'): the construct derives it from the name`);
    }
  }
}
