/**
 * The native add-ons under node_modules that the running Node cannot load — built for another
 * Node ABI (or broken) — as the names of the packages that hold them, one per line. .ci/run lists
 * them when it runs the suite a second time on the images' Node line (no test loads them); rebuild
 * them with `pnpm -r rebuild <names>` before benchmarking there. N-API add-ons load on every line
 * and are not listed.
 *
 *   node --import tsx scripts/native-addons.ts [<root>]     (default root: the repository)
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { REPO_ROOT } from './bundle.js';

/** Every `*.node` file under `dir`, following pnpm's layout (real folders, not its symlinks). */
function addonFiles(dir: string): string[] {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries.flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return addonFiles(path);
    return entry.isFile() && entry.name.endsWith('.node') ? [path] : [];
  });
}

/** `…/node_modules/@scope/name/build/x.node` → `@scope/name`. */
export function packageOf(addon: string): string {
  const rest = addon.slice(addon.lastIndexOf('node_modules/') + 'node_modules/'.length).split('/');
  return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
}

/** Loads the add-on in a child process, so a crash or a successful load leaves this one untouched. */
function loads(addon: string): boolean {
  const child = spawnSync(process.execPath, ['-e', 'process.dlopen({ exports: {} }, process.argv[1])', addon], { stdio: 'ignore', timeout: 30_000 });
  return child.status === 0;
}

export function unloadableAddonPackages(root: string = REPO_ROOT): string[] {
  const addons = addonFiles(join(root, 'node_modules', '.pnpm'));
  return [...new Set(addons.filter((addon) => !loads(addon)).map(packageOf))].sort();
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  for (const name of unloadableAddonPackages(process.argv[2] === undefined ? REPO_ROOT : resolve(process.argv[2]))) console.log(name);
}
