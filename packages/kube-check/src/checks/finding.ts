import type { Problem } from '../problem.js';

export type Severity = 'FAIL' | 'WARN';

/** The checks `npm run check` runs, as named in findings and `--json`. */
export type CheckName = 'parse' | 'schema' | 'custom-resource' | 'kubernetes-version' | 'pod-security' | 'wiring' | 'network' | 'linkerd' | 'secrets' | 'workload';

export interface Finding {
  readonly severity: Severity;
  readonly check: CheckName;
  /** `Kind/namespace/name`, or a file for parse errors. */
  readonly object: string;
  /** Dotted path of the field at fault, `-` for the whole object. */
  readonly field: string;
  readonly message: string;
}

export function finding(severity: Severity, check: CheckName, problem: Problem): Finding {
  return { severity, check, object: problem.object, field: problem.field, message: problem.message };
}

/** `FAIL Deployment/ns/name spec.template.spec.hostNetwork: must not be true`. */
export function formatFinding(found: Finding): string {
  return `${found.severity} ${found.object} ${found.field}: ${found.message}`;
}

/** FAIL before WARN, then by object, field and message: stable output whatever the input order. */
export function sortFindings(findings: readonly Finding[]): Finding[] {
  const rank = (found: Finding): number => (found.severity === 'FAIL' ? 0 : 1);
  return [...findings].sort((a, b) => rank(a) - rank(b) || a.object.localeCompare(b.object) || a.field.localeCompare(b.field) || a.message.localeCompare(b.message));
}

export function countBySeverity(findings: readonly Finding[]): { fail: number; warn: number } {
  return { fail: findings.filter((found) => found.severity === 'FAIL').length, warn: findings.filter((found) => found.severity === 'WARN').length };
}
