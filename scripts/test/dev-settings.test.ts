import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../bundle.js';
import { API_PASS_THROUGH, DATABASE, DECIDED_BY_DEV, LINK_PREVIEW_PASS_THROUGH, passThrough, SHARED } from '../lib/dev-settings.js';

/** The variables of a README's "## Configuration" table (`X_PER_SECOND` / `_BURST` rows give both). */
function documentedVariables(readme: string): string[] {
  const text = readFileSync(join(REPO_ROOT, readme), 'utf8');
  const section = text.slice(text.indexOf('\n## Configuration'), text.indexOf('\n## ', text.indexOf('\n## Configuration') + 1));
  return section.split('\n').flatMap((line) => {
    const match = /^\| `([A-Z][A-Z0-9_]*)`(?: \/ `(_[A-Z0-9_]+)`)? \|/.exec(line);
    if (!match) return [];
    const [, name, suffix] = match;
    return suffix === undefined ? [name!] : [name!, name!.replace(/_PER_SECOND$/, suffix)];
  });
}

describe('npm run dev and the services\' documented settings', () => {
  const decided = Object.keys(DECIDED_BY_DEV);

  it('handles every variable the natter-api README documents: decided by dev, the database, or passed through to the API', () => {
    const documented = documentedVariables('packages/natter-api/README.md');
    expect(documented).toContain('RATE_LIMIT_GLOBAL_BURST');
    expect(documented.length).toBeGreaterThan(20);
    expect([...documented].sort()).toEqual([...new Set([...decided, ...SHARED, ...DATABASE, ...API_PASS_THROUGH])].sort());
  });

  it('handles every variable the link-preview README documents: decided by dev or passed through to link-preview', () => {
    const documented = documentedVariables('packages/link-preview/README.md');
    expect([...documented].sort()).toEqual([...new Set([...decided.filter((name) => ['PORT', 'BIND_ADDRESS', 'ALLOWED_HOSTS'].includes(name)), ...SHARED, ...LINK_PREVIEW_PASS_THROUGH])].sort());
  });

  it('passes only the variables that are set, with their values', () => {
    expect(passThrough({ CORS_ORIGIN: 'https://localhost:9999', PATH: '/bin' }, API_PASS_THROUGH)).toEqual({ CORS_ORIGIN: 'https://localhost:9999' });
  });
});
