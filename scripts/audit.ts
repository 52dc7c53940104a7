/**
 * `npm run audit` — `npm audit --omit=dev` for this pnpm workspace: every production dependency
 * of every workspace package (the locked `dependencies` and `optionalDependencies`, transitively),
 * checked against the npm registry's advisory service, the one `npm audit` uses, and held to the
 * policy in the root README ("Dependency audit"):
 *
 * - a high or critical advisory fails, unless audit-exceptions.json accepts it until a date that
 *   has not passed and is at most 90 days away (an expired exception fails too);
 * - moderate and low advisories are listed, and do not fail;
 * - when the advisory service cannot be reached the audit says so and passes, unless it is
 *   required (`--required` or NATTER_AUDIT_REQUIRED=1: the release job), where it fails.
 *
 *   npm run audit -- [--registry <url>] [--exceptions <file>] [--required]
 *
 * Exit codes: 0 no violation (or service unavailable and not required), 1 violation (or
 * unavailable and required), 2 bad usage or an invalid exceptions file.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import semver from 'semver';
import { REPO_ROOT } from './bundle.js';
import { productionClosure, readLockfile } from './sbom.js';

export const EXCEPTIONS_FILE = join(REPO_ROOT, 'audit-exceptions.json');
const DEFAULT_REGISTRY = 'https://registry.npmjs.org/';
const FAILING = new Set(['high', 'critical']);
/** How long an exception may stand before someone has to look at the advisory again. */
export const MAX_EXCEPTION_DAYS = 90;
const SEVERITIES = ['critical', 'high', 'moderate', 'low', 'info'];

interface Advisory {
  readonly id: number;
  readonly url: string;
  readonly title: string;
  readonly severity: string;
  readonly vulnerable_versions: string;
}

/** One accepted advisory: why it does not apply to us, and until when that judgement stands. */
export interface AuditException {
  readonly advisory: string;
  readonly package: string;
  readonly reason: string;
  /** YYYY-MM-DD; the exception stops counting after this day. */
  readonly expires: string;
}

interface Finding {
  readonly name: string;
  readonly versions: readonly string[];
  readonly advisory: Advisory;
}

class UsageError extends Error {}

/** name → locked versions, over the production closure of every workspace package. */
export function productionVersions(root: string = REPO_ROOT): Map<string, string[]> {
  const lockfile = readLockfile(root);
  const versions = new Map<string, Set<string>>();
  for (const importer of Object.keys(lockfile.importers)) {
    for (const locked of productionClosure(lockfile, importer).packages.values()) {
      versions.set(locked.name, (versions.get(locked.name) ?? new Set()).add(locked.version));
    }
  }
  return new Map([...versions].sort(([a], [b]) => (a < b ? -1 : 1)).map(([name, set]) => [name, [...set].sort()]));
}

const isoDay = (date: Date): string => date.toISOString().slice(0, 10);

export function parseExceptions(text: string, source: string, today: Date): AuditException[] {
  const latest = isoDay(new Date(today.getTime() + MAX_EXCEPTION_DAYS * 86_400_000));
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${source}: not valid JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  if (!Array.isArray(parsed)) throw new UsageError(`${source}: must be a JSON array of { advisory, package, reason, expires }`);
  return parsed.map((entry: unknown, index) => {
    const record = (typeof entry === 'object' && entry !== null ? entry : {}) as Record<string, unknown>;
    for (const field of ['advisory', 'package', 'reason', 'expires']) {
      if (typeof record[field] !== 'string' || record[field] === '') throw new UsageError(`${source}[${index}]: '${field}' must be a non-empty string`);
    }
    if (!/^\d{4}-\d{2}-\d{2}$/.test(record.expires as string) || Number.isNaN(Date.parse(record.expires as string))) {
      throw new UsageError(`${source}[${index}]: 'expires' must be a date YYYY-MM-DD, got '${record.expires as string}'`);
    }
    if ((record.expires as string) > latest) {
      throw new UsageError(`${source}[${index}]: 'expires' ${record.expires as string} is more than ${MAX_EXCEPTION_DAYS} days away; re-check the advisory by ${latest} at the latest`);
    }
    return record as unknown as AuditException;
  });
}

type AdvisoryAnswer = { readonly kind: 'answered'; readonly advisories: Record<string, Advisory[]> } | { readonly kind: 'unavailable'; readonly reason: string };

async function queryAdvisories(registry: string, versions: Map<string, string[]>): Promise<AdvisoryAnswer> {
  const url = new URL('-/npm/v1/security/advisories/bulk', registry.endsWith('/') ? registry : `${registry}/`);
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(Object.fromEntries(versions)),
      signal: AbortSignal.timeout(60_000),
    });
    if (!response.ok) return { kind: 'unavailable', reason: `HTTP ${response.status} from POST ${url.href}` };
    const body: unknown = await response.json();
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return { kind: 'unavailable', reason: `unexpected answer from ${url.href}` };
    return { kind: 'answered', advisories: body as Record<string, Advisory[]> };
  } catch (error) {
    return { kind: 'unavailable', reason: `${url.href}: ${error instanceof Error ? error.message : String(error)}` };
  }
}

/** The advisories that affect a locked version (the service answers per package, not per version). */
function findingsOf(advisories: Record<string, Advisory[]>, versions: Map<string, string[]>): Finding[] {
  return Object.entries(advisories).flatMap(([name, list]) =>
    (Array.isArray(list) ? list : []).flatMap((advisory) => {
      const affected = (versions.get(name) ?? []).filter((version) => semver.satisfies(version, advisory.vulnerable_versions, { includePrerelease: true }));
      return affected.length === 0 ? [] : [{ name, versions: affected, advisory }];
    }),
  );
}

const matches = (exception: AuditException, finding: Finding) =>
  exception.package === finding.name && (exception.advisory === finding.advisory.url || exception.advisory === String(finding.advisory.id));

/** Applies the policy; returns the lines to print and whether the audit failed. */
export function judge(findings: readonly Finding[], exceptions: readonly AuditException[], today: string): { lines: string[]; failed: boolean } {
  const lines: string[] = [];
  let failed = false;
  const rank = (finding: Finding) => SEVERITIES.indexOf(finding.advisory.severity);
  for (const finding of [...findings].sort((a, b) => rank(a) - rank(b) || (a.name < b.name ? -1 : 1))) {
    const { advisory } = finding;
    const what = `${advisory.severity} ${finding.name}@${finding.versions.join(', ')}: ${advisory.title} (${advisory.url})`;
    const exception = exceptions.find((candidate) => matches(candidate, finding));
    if (!FAILING.has(advisory.severity)) lines.push(`  listed   ${what}`);
    else if (exception !== undefined && exception.expires >= today) lines.push(`  accepted ${what} until ${exception.expires}: ${exception.reason}`);
    else {
      failed = true;
      lines.push(`  FAILS    ${what}${exception === undefined ? '' : ` (its exception expired on ${exception.expires})`}`);
    }
  }
  for (const exception of exceptions.filter((candidate) => !findings.some((finding) => matches(candidate, finding)))) {
    lines.push(`  unused exception for ${exception.package} ${exception.advisory}: remove it from audit-exceptions.json`);
  }
  return { lines, failed };
}

export async function main(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let options;
  let exceptions: AuditException[];
  try {
    options = parseArgs({
      args: [...argv],
      options: { registry: { type: 'string' }, exceptions: { type: 'string' }, required: { type: 'boolean', default: false } },
      strict: true,
      allowPositionals: false,
    }).values;
    const exceptionsFile = resolve(options.exceptions ?? EXCEPTIONS_FILE);
    exceptions = existsSync(exceptionsFile) ? parseExceptions(readFileSync(exceptionsFile, 'utf8'), exceptionsFile, new Date()) : [];
  } catch (error) {
    console.error(`${error instanceof Error ? error.message : String(error)}\nusage: npm run audit -- [--registry <url>] [--exceptions <file>] [--required]`);
    return 2;
  }
  const required = options.required || env.NATTER_AUDIT_REQUIRED === '1';
  const registry = options.registry ?? env.npm_config_registry ?? DEFAULT_REGISTRY;
  const versions = productionVersions();
  const answer = await queryAdvisories(registry, versions);
  if (answer.kind === 'unavailable') {
    const verdict = required ? 'FAILED (required)' : 'SKIPPED';
    console.log(`audit: ${verdict}: the advisory service could not be asked (${answer.reason}); ${versions.size} production packages unchecked`);
    return required ? 1 : 0;
  }
  const findings = findingsOf(answer.advisories, versions);
  const { lines, failed } = judge(findings, exceptions, isoDay(new Date()));
  console.log(`audit: ${versions.size} production packages, ${findings.length} advisories`);
  for (const line of lines) console.log(line);
  if (failed) console.log('audit: FAILED: upgrade the package, or record why the advisory does not apply in audit-exceptions.json (README, "Dependency audit")');
  return failed ? 1 : 0;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then((code) => process.exit(code));
}
