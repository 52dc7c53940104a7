import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { summarizeWorkloads } from '../workload-summary.js';
import { connectivitySvg } from '../report/graph.js';
import { renderHtml } from '../report/html.js';
import { renderMarkdown } from '../report/markdown.js';
import type { ReportModel } from '../report/report-model.js';
import { checkSets, parseCheckArguments } from './check-command.js';
import { type CliIo, EXIT_OK, EXIT_USAGE, UsageError } from './usage.js';

export const REPORT_USAGE = `usage: npm run report -- [--out DIR] [--crds DIR]... [--kube-version 1.N] [--linkerd-mode MODE] [DIR...]

Writes, per set of manifests (default: every directory under dist/ holding YAML), a self-contained
HTML report (connectivity picture, allowed flows, workload privileges, check findings) and a
Markdown summary for a pull-request comment into DIR (default: reports/, outside dist/ and
git-ignored). Exit 0 when written (findings do not change it: npm run check gates); 2: usage error.`;

/** `natter-dev (dist)` → `natter-dev`; `dist/argocd` → `dist-argocd`. */
export function reportSlug(name: string): string {
  return name.replace(/ \(.*\)$/, '').replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '') || 'manifests';
}

export interface WrittenReport {
  readonly name: string;
  readonly html: string;
  readonly markdown: string;
  readonly model: ReportModel;
}

/** Takes `--out DIR` / `--out=DIR` off the command line; the rest is what `check` accepts. */
function takeOut(argv: readonly string[]): { out: string; rest: string[] } {
  let out = 'reports';
  const rest: string[] = [];
  for (let index = 0; index < argv.length; index++) {
    const argument = argv[index]!;
    if (argument === '--out') {
      const value = argv[++index];
      if (value === undefined || value.startsWith('-')) throw new UsageError('--out needs a directory');
      out = value;
    } else if (argument.startsWith('--out=')) out = argument.slice('--out='.length);
    else rest.push(argument);
  }
  return { out, rest };
}

export async function runReportCommand(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    const { out, rest } = takeOut(argv);
    const invocation = parseCheckArguments(rest, io.cwd);
    const written = await writeReports(invocation, io.cwd, resolve(io.cwd, out));
    for (const report of written) io.stdout(`${report.name}: ${relative(io.cwd, report.html)}, ${relative(io.cwd, report.markdown)}\n`);
    return EXIT_OK;
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    if (error.message) io.stderr(`report: ${error.message}\n`);
    io.stderr(`${REPORT_USAGE}\n`);
    return error.message ? EXIT_USAGE : EXIT_OK;
  }
}

export async function writeReports(invocation: ReturnType<typeof parseCheckArguments>, cwd: string, outDirectory: string): Promise<WrittenReport[]> {
  mkdirSync(outDirectory, { recursive: true });
  const written: WrittenReport[] = [];
  for (const { set, result, findings } of checkSets(invocation, cwd)) {
    const model: ReportModel = {
      name: set.name,
      directory: relative(cwd, set.directory) || '.',
      objectCount: set.objects.length,
      target: result.target,
      findings,
      connectivity: result.connectivity,
      workloads: summarizeWorkloads(set.objects),
    };
    const slug = reportSlug(set.name);
    const html = join(outDirectory, `${slug}.html`);
    const markdown = join(outDirectory, `${slug}.md`);
    writeFileSync(html, renderHtml(model, await connectivitySvg(result.connectivity)));
    writeFileSync(markdown, renderMarkdown(model, `${slug}.html`));
    written.push({ name: set.name, html, markdown, model });
  }
  return written;
}
