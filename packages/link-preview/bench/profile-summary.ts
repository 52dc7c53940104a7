/**
 * Summarises V8 CPU profiles written by `BENCH_NODE_OPTIONS="--cpu-prof --cpu-prof-dir=DIR"`:
 * self time by module and by function, so "where the time goes" is a table, not a flame graph.
 *
 *   npx tsx bench/profile-summary.ts DIR/*.cpuprofile [--top 25] [--callers writeLatin1String]
 *
 * Samples taken while a module was being loaded (tsx's hooks, node:internal/modules) are left out
 * and counted apart: a bench process loads its contender before measuring, and that is not the
 * cost of a preview. `--callers NAME` prints the stacks (5 frames) under which NAME spent its self time.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly children?: readonly number[];
}

interface Profile {
  readonly nodes: readonly ProfileNode[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** A short name for where a function lives: a package, a node: module, one of ours, or a V8 pseudo-frame. */
function moduleOf(url: string, functionName: string): string {
  if (url === '') return functionName.startsWith('RegExp:') ? '(RegExp)' : `(${functionName.replace(/[()]/g, '') || 'native'})`;
  const nodeModule = /node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nodeModule) return nodeModule[1]!;
  if (url.startsWith('node:')) return url.replace(/^node:internal\//, 'node:').split('/').slice(0, 2).join('/');
  const ours = /\/packages\/([^/]+\/(?:src|bench|test)\/.*)$/.exec(url);
  return ours ? ours[1]! : url;
}

/** Frames that only run while modules load. */
const LOADING = /^node:internal\/(modules|bootstrap)\/|\/node_modules\/(\.pnpm\/[^/]+\/node_modules\/)?tsx\//;

function summarise(file: string, top: number, callersOf: string | undefined): string {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const stackOf = (id: number): ProfileNode[] => {
    const frames: ProfileNode[] = [];
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) frames.push(byId.get(at)!);
    return frames;
  };
  const loading = new Map<number, boolean>();
  const isLoading = (id: number): boolean => {
    let known = loading.get(id);
    if (known === undefined) {
      known = stackOf(id).some((node) => LOADING.test(node.callFrame.url));
      loading.set(id, known);
    }
    return known;
  };
  const selfMicros = new Map<number, number>();
  profile.samples.forEach((id, index) => selfMicros.set(id, (selfMicros.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0)));
  const byModule = new Map<string, number>();
  const byFunction = new Map<string, number>();
  const callers = new Map<string, number>();
  let busy = 0;
  let loadingMicros = 0;
  for (const [id, micros] of selfMicros) {
    const frame = byId.get(id)!.callFrame;
    if (frame.functionName === '(idle)') continue;
    if (isLoading(id)) {
      loadingMicros += micros;
      continue;
    }
    busy += micros;
    if (callersOf !== undefined && frame.functionName === callersOf) {
      const stack = stackOf(id)
        .slice(1, 6)
        .map((node) => `${node.callFrame.functionName || '(anonymous)'} ${moduleOf(node.callFrame.url, node.callFrame.functionName)}:${node.callFrame.lineNumber + 1}`)
        .join(' < ');
      callers.set(stack, (callers.get(stack) ?? 0) + micros);
    }
    const module = moduleOf(frame.url, frame.functionName);
    byModule.set(module, (byModule.get(module) ?? 0) + micros);
    const fn = `${(frame.functionName || '(anonymous)').slice(0, 60)} ${module}:${frame.lineNumber + 1}`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + micros);
  }
  const rows = (map: Map<string, number>): string[] =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, micros]) => `  ${((micros / busy) * 100).toFixed(1).padStart(5)}%  ${(micros / 1000).toFixed(0).padStart(6)} ms  ${name}`);
  const wall = (profile.endTime - profile.startTime) / 1000;
  return [
    `${basename(file)}: ${wall.toFixed(0)} ms profiled, ${(busy / 1000).toFixed(0)} ms busy (+ ${(loadingMicros / 1000).toFixed(0)} ms loading modules, left out)`,
    ' self time by module:',
    ...rows(byModule),
    ' self time by function:',
    ...rows(byFunction),
    ...(callersOf === undefined ? [] : [` callers of ${callersOf}:`, ...rows(callers)]),
  ].join('\n');
}

const { values, positionals } = parseArgs({
  options: { top: { type: 'string', default: '25' }, callers: { type: 'string' } },
  allowPositionals: true,
});
for (const file of positionals) process.stdout.write(`${summarise(file, Number(values.top), values.callers)}\n\n`);
