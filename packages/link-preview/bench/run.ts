/**
 * `npm run bench`: every contender against the same loopback fixture pages, in one run, so the
 * figures can be read as ratios. See bench/README.md for what each figure means.
 *
 * Flags (all optional): --contenders core,unfurl  --pages article,huge  --concurrency 1,32
 *   --seconds 3 (measured per contender and cell)  --slices 3  --warmup-ms 700  --e2e-seconds 3 (per page)  --no-e2e
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { analyse, GOAL_CONCURRENCY } from './analysis.js';
import { CONTENDERS, contenderById } from './contenders/index.js';
import { EndToEndService, endToEndUnavailable, type EndToEndResult } from './end-to-end.js';
import { startFixtureServer } from './fixture-client.js';
import { PAGES } from './pages.js';
import { cellTable, comparisonTable, endToEndTable, goalTable, problems, rssTable } from './report.js';
import { runBlock, type BlockSettings, type CellResult } from './run-block.js';

const RESULTS_FILE = fileURLToPath(new URL('./results/latest.json', import.meta.url));

function list(value: string | undefined): string[] | undefined {
  return value?.split(',').map((item) => item.trim()).filter((item) => item !== '');
}

function positiveNumber(flag: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed <= 0) throw new Error(`--${flag} must be a positive number, got "${value}"`);
  return parsed;
}

const { values: flags } = parseArgs({
  options: {
    contenders: { type: 'string' },
    pages: { type: 'string' },
    concurrency: { type: 'string' },
    seconds: { type: 'string' },
    slices: { type: 'string' },
    'warmup-ms': { type: 'string' },
    'e2e-seconds': { type: 'string' },
    'no-e2e': { type: 'boolean', default: false },
  },
});

const contenders = (list(flags.contenders) ?? CONTENDERS.map((c) => c.id)).map(contenderById);
const pages = (list(flags.pages) ?? PAGES.map((p) => p.id)).map((id) => {
  const page = PAGES.find((candidate) => candidate.id === id);
  if (!page) throw new Error(`--pages: unknown page "${id}"; known: ${PAGES.map((p) => p.id).join(', ')}`);
  return page;
});
const concurrencies = (list(flags.concurrency) ?? ['1', String(GOAL_CONCURRENCY)]).map((c) => positiveNumber('concurrency', c, 1));
const settings: BlockSettings = {
  warmupMs: positiveNumber('warmup-ms', flags['warmup-ms'], 700),
  measureMs: positiveNumber('seconds', flags.seconds, 3) * 1000,
  slices: Math.round(positiveNumber('slices', flags.slices, 3)),
  maxPreviews: 20_000,
  previewTimeoutMs: 60_000,
};
const endToEndSeconds = positiveNumber('e2e-seconds', flags['e2e-seconds'], 3);

const log = (line: string): void => void process.stderr.write(`${line}\n`);

const startedAt = new Date().toISOString();
const loadAtStart = loadavg();
const showLoad = (load: readonly number[]): string => load.map((value) => value.toFixed(2)).join(' ');
log(`bench: load average at start ${showLoad(loadAtStart)} (1, 5, 15 min; ${cpus().length} CPUs)`);
const fixture = await startFixtureServer();
const cells: CellResult[] = [];
let endToEnd: EndToEndResult[] = [];
const endToEndSkipped = flags['no-e2e']
  ? 'skipped by --no-e2e'
  : concurrencies.includes(GOAL_CONCURRENCY)
    ? endToEndUnavailable()
    : `its slices take turns with the in-process ones at c=${GOAL_CONCURRENCY}, which --concurrency leaves out`;
let service: EndToEndService | undefined;
try {
  if (endToEndSkipped === undefined) {
    log(`bench: starting the service for end to end (GET /preview at ${GOAL_CONCURRENCY} connections) …`);
    service = await EndToEndService.start({ fixturePort: fixture.port, connections: GOAL_CONCURRENCY, warmupMs: settings.warmupMs });
  }
  for (const page of pages) {
    for (const concurrency of concurrencies) {
      const interleaved =
        service && concurrency === GOAL_CONCURRENCY
          ? { slices: service.slicesFor(page), sliceMs: (endToEndSeconds * 1000) / settings.slices }
          : undefined;
      log(`bench: ${page.id} · c=${concurrency} · ${[...contenders.map((c) => c.id), ...(interleaved ? ['end to end'] : [])].join(', ')} …`);
      cells.push(...(await runBlock(contenders, page, concurrency, fixture, settings, log, interleaved)));
    }
  }
  endToEnd = service?.results() ?? [];
} finally {
  await service?.stop();
  await fixture.close();
}

const analysis = analyse(cells, concurrencies, endToEnd);
const loadAtEnd = loadavg();
const machine = { node: process.version, cpus: cpus().length, cpuModel: cpus()[0]?.model, loadAtStart, loadAtEnd };
mkdirSync(fileURLToPath(new URL('./results/', import.meta.url)), { recursive: true });
writeFileSync(
  RESULTS_FILE,
  `${JSON.stringify({ startedAt, finishedAt: new Date().toISOString(), machine, settings, cells, endToEnd, endToEndSkipped, ...analysis }, null, 2)}\n`,
);

const sections = [
  `link-preview bench — ${startedAt}, Node ${machine.node}, ${machine.cpus} CPUs, loopback only\n` +
    `load average (1, 5, 15 min) at start: ${showLoad(loadAtStart)}`,
  [
    `In-process: one process per contender, page and concurrency, measured in ${settings.slices} interleaved slices (n/slices). See bench/README.md.`,
    'CPU ms/preview (sys): CPU time of the contender process per preview (kernel share). KiB read/preview: bytes the contender process read from its TCP sockets (headers included).',
    'srv KiB sent/req, srv CPU ms/req: body bytes the fixture server pushed into the kernel (read or not) and its CPU time, per request. load: 1-minute load average.',
  ].join('\n'),
  cellTable(cells),
  ...problems(cells).map((note) => `! ${note}`),
  'Core against the fastest library and the floor (same run):',
  comparisonTable(analysis),
  'Peak RSS as the page grows from 120 KB to 2 MB:',
  rssTable(analysis),
  endToEndSkipped
    ? `End to end: not run — ${endToEndSkipped}`
    : `End to end (service in its own process, autocannon; per page a ${settings.warmupMs} ms warm-up, then ${endToEndSeconds} s in ${settings.slices} slices taking turns with the in-process ones), against the in-process core:\n${endToEndTable(endToEnd, analysis)}`,
  'Goals:',
  goalTable(analysis),
  `load average (1, 5, 15 min) at end: ${showLoad(loadAtEnd)}` +
    (Math.max(loadAtStart[0] ?? 0, loadAtEnd[0] ?? 0) > machine.cpus
      ? ` — above the ${machine.cpus} CPUs: other work shared the machine, judge by CPU and run again when quieter`
      : ''),
  `Raw figures: ${RESULTS_FILE}`,
];
process.stdout.write(`\n${sections.join('\n\n')}\n`);
