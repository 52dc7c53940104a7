import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { type AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCheckArguments } from '../src/cli/check-command.js';
import { type WrittenReport, reportSlug, writeReports } from '../src/cli/report-command.js';
import { podTemplates } from '../src/manifest.js';
import { readManifestSet } from '../src/checks/load.js';

/**
 * The HTML report of the real dev profile (dist/), opened in headless Chromium from Debian's
 * packages (CI installs it; set CHROMIUM_PATH to use another build): one node per workload, one edge
 * per allowed flow, nothing fetched from anywhere but the page itself. Leaves a screenshot in
 * test-artifacts/ (git-ignored) for a human to look at.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const REPOSITORY = fileURLToPath(new URL('../../../', import.meta.url));
const ARTIFACTS = join(REPOSITORY, 'test-artifacts');
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.warn(`report-browser: skipped, no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`);

/** Chromium flags: no sandbox (CI runs as root) and none of its own background traffic. */
const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-default-apps',
  '--no-first-run', '--disable-domain-reliability', '--disable-client-side-phishing-detection', '--disable-breakpad', '--metrics-recording-only',
];

describe.skipIf(!haveChromium)(`the HTML report in headless Chromium (${CHROMIUM})`, { timeout: 120_000 }, () => {
  const out = mkdtempSync(join(tmpdir(), 'kube-check-report-'));
  let report: WrittenReport;
  let server: Server;
  let origin: string;

  beforeAll(async () => {
    const invocation = parseCheckArguments(['dist'], REPOSITORY);
    [report] = await writeReports(invocation, REPOSITORY, out) as [WrittenReport];
    const html = readFileSync(report.html);
    server = createServer((_, response) => response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }, 120_000);

  afterAll(async () => {
    if (server !== undefined) await new Promise((resolve) => server.close(resolve));
    rmSync(out, { recursive: true, force: true });
  });

  it('draws one node per workload and one edge per allowed flow, loading nothing from the network', async () => {
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    try {
      const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
      const requested: string[] = [];
      await context.route('**/*', async (route) => {
        requested.push(route.request().url());
        if (route.request().url() === `${origin}/`) await route.continue();
        else await route.abort();
      });
      const page = await context.newPage();
      const failures: string[] = [];
      page.on('requestfailed', (request) => failures.push(request.url()));
      await page.goto(`${origin}/`, { waitUntil: 'load' });

      const workloads = podTemplates(readManifestSet(join(REPOSITORY, 'dist')).objects);
      expect(workloads.length).toBeGreaterThanOrEqual(3);
      expect(await page.locator('#connectivity svg g.node.workload').count()).toBe(workloads.length);
      const labels = await page.locator('#connectivity svg g.node.workload text').allTextContents();
      for (const workload of workloads) expect(labels).toContain(workload.name);

      const flows = report.model.connectivity.flows;
      expect(flows.length).toBeGreaterThan(workloads.length);
      expect(await page.locator('#connectivity svg g.edge').count()).toBe(flows.length);
      expect(await page.locator('#connectivity svg g.edge.flow-l7').count()).toBe(flows.filter((flow) => flow.layer === 'L7' && flow.refusedByLinkerd.length === 0).length);
      expect(await page.locator('#flows tbody tr').count()).toBe(flows.length);
      expect(await page.locator('#workloads tbody tr').count()).toBe(workloads.length);
      for (const name of ['internet', 'DNS', 'Kubernetes API', 'other namespaces']) {
        expect(await page.locator('#connectivity svg g.node.peer text', { hasText: name }).count(), name).toBeGreaterThan(0);
      }
      const box = await page.locator('#connectivity svg').boundingBox();
      expect(box?.width).toBeGreaterThan(300);

      expect(requested).toEqual([`${origin}/`]);
      expect(failures).toEqual([]);
      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: join(ARTIFACTS, `report-${reportSlug(report.name)}.png`), fullPage: true });
    } finally {
      await browser.close();
    }
  });
});
