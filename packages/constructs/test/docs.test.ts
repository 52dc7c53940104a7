// The API reference in docs/api is generated from the TSDoc (`npm run docs`); this keeps it current
// and keeps the TSDoc complete: TypeDoc fails on any undocumented export (typedoc.json), and every
// optional field of every exported interface must say its default.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));
const COMMITTED = join(PACKAGE_DIR, 'docs/api');
const TYPEDOC = join(PACKAGE_DIR, 'node_modules/typedoc/bin/typedoc');

interface Reflection {
  readonly name: string;
  readonly kind: number;
  readonly flags?: { readonly isOptional?: boolean };
  readonly comment?: { readonly blockTags?: ReadonlyArray<{ readonly tag: string; readonly content: ReadonlyArray<{ readonly text: string }> }> };
  readonly children?: readonly Reflection[];
}
const INTERFACE = 256;
const PROPERTY = 1024;

function filesUnder(directory: string): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else files.set(relative(directory, path), readFileSync(path, 'utf8'));
    }
  };
  walk(directory);
  return files;
}

let scratch: string;
let project: Reflection;

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'natter-constructs-docs-'));
  await run(process.execPath, [TYPEDOC, '--out', join(scratch, 'api'), '--json', join(scratch, 'api.json')], { cwd: PACKAGE_DIR });
  project = JSON.parse(readFileSync(join(scratch, 'api.json'), 'utf8')) as Reflection;
}, 120_000);

afterAll(() => {
  if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
});

describe('API docs', () => {
  it('are current: docs/api is what `npm run docs` generates (run it and commit docs/api when this fails)', () => {
    const fresh = filesUnder(join(scratch, 'api'));
    const committed = filesUnder(COMMITTED);
    expect([...committed.keys()].sort()).toEqual([...fresh.keys()].sort());
    for (const [path, text] of fresh) {
      expect(committed.get(path), path).toBe(text);
    }
  });

  it('say the default of every optional field of every exported interface', () => {
    const interfaces = (project.children ?? []).filter((child) => child.kind === INTERFACE);
    expect(interfaces.length).toBeGreaterThan(20);
    const missing = interfaces.flatMap((item) =>
      (item.children ?? [])
        .filter((child) => child.kind === PROPERTY && child.flags?.isOptional === true)
        .filter((child) => {
          const tag = child.comment?.blockTags?.find((block) => block.tag === '@default');
          const text = tag?.content.map((part) => part.text).join('').trim();
          return text === undefined || text === '' || text === 'undefined';
        })
        .map((child) => `${item.name}.${child.name}`),
    );
    expect(missing).toEqual([]);
  });
});
