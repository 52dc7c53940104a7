import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { runReportCommand } from '../src/cli/report-command.js';
import type { Manifest } from '../src/manifest.js';
import { meshedShop, podSpecOf } from './mesh-fixture.js';

const CRDS = fileURLToPath(new URL('../../../charts/crds', import.meta.url));
const workspace = mkdtempSync(join(tmpdir(), 'kube-check-report-'));
afterAll(() => rmSync(workspace, { recursive: true, force: true }));

function project(objects: readonly Manifest[]): string {
  const directory = join(workspace, `project-${Math.random().toString(36).slice(2)}`);
  mkdirSync(join(directory, 'dist'), { recursive: true });
  writeFileSync(join(directory, 'dist', 'shop.k8s.yaml'), objects.map((object) => stringify(object)).join('---\n'));
  return directory;
}

async function report(cwd: string, argv: string[] = []): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runReportCommand(argv, { cwd, stdout: (text) => { stdout += text; }, stderr: (text) => { stderr += text; } });
  return { code, stdout, stderr };
}

describe('npm run report', { timeout: 60_000 }, () => {
  it('writes a self-contained HTML page and a Markdown summary per set into reports/', async () => {
    const objects = structuredClone(meshedShop());
    podSpecOf(objects, 'web').containers[0].env = [{ name: 'API_TOKEN', valueFrom: { secretKeyRef: { name: 'web-token', key: 'token' } } }];
    const cwd = project(objects);
    const { code, stdout } = await report(cwd, ['--crds', CRDS]);
    expect(code).toBe(0);
    expect(stdout).toBe('dist: reports/dist.html, reports/dist.md\n');
    expect(readdirSync(join(cwd, 'reports')).sort()).toEqual(['dist.html', 'dist.md']);
    const html = readFileSync(join(cwd, 'reports', 'dist.html'), 'utf8');
    expect(html).toContain(`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`);
    expect(html).not.toMatch(/<script|<link|<img|\ssrc=|\shref=|@import|url\(/i);
    expect(html).toMatch(/<svg[^>]*>[\s\S]*class="node workload"[\s\S]*class="edge flow flow(-|&#45;)l7"/);
    expect(html).toContain('web-token → app env API_TOKEN');
    const markdown = readFileSync(join(cwd, 'reports', 'dist.md'), 'utf8');
    expect(markdown).toContain('| web | db | 5432/TCP | L7 (mTLS identity) |');
    expect(markdown).toContain('| ingress/gateway (ingress-nginx) | web | 4567/TCP | L7 (mTLS identity) |');
    expect(markdown).toMatch(/\| web \(Deployment\) \| example\/web@sha256:a{64} \| 10001:10001 \| drop ALL \| yes \|/);
    expect(markdown).toMatch(/\*\*0 FAIL, 1 WARN\*\*/);
  });

  it('writes where --out says, and exits 2 on a usage error', async () => {
    const cwd = project(meshedShop());
    expect((await report(cwd, ['--out', 'elsewhere', '--crds', CRDS])).code).toBe(0);
    expect(readdirSync(join(cwd, 'elsewhere'))).toContain('dist.html');
    const usage = await report(cwd, ['--out']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/^report: --out needs a directory\nusage: npm run report/);
  });
});
