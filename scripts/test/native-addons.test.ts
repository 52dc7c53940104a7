import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { packageOf, unloadableAddonPackages } from '../native-addons.js';
import { temporaryDirectory } from './support/fixtures.js';

const roots: { remove(): Promise<void> }[] = [];
afterAll(async () => {
  for (const root of roots) await root.remove();
});

async function workspace(files: Record<string, string>): Promise<string> {
  const root = await temporaryDirectory('natter-addons-');
  roots.push(root);
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(root.path, path)), { recursive: true });
    await writeFile(join(root.path, path), content);
  }
  return root.path;
}

describe('native add-ons the running Node cannot load', () => {
  it('names the package of every add-on that fails to load, scoped or not, once', async () => {
    const root = await workspace({
      // Not a shared object at all: dlopen refuses it as it refuses one built for another ABI.
      'node_modules/.pnpm/re2@1.21.5/node_modules/re2/build/Release/re2.node': 'not an ELF file',
      'node_modules/.pnpm/re2@1.21.5/node_modules/re2/build/Release/obj.target/re2.node': 'not an ELF file',
      'node_modules/.pnpm/@scope+addon@2.0.0/node_modules/@scope/addon/addon.linux-x64.node': 'not an ELF file',
      'node_modules/.pnpm/plain@1.0.0/node_modules/plain/index.js': 'module.exports = 1;',
    });
    expect(unloadableAddonPackages(root)).toEqual(['@scope/addon', 're2']);
  });

  it('does not follow pnpm’s symlinks (each add-on is visited where it really lives)', async () => {
    const root = await workspace({ 'elsewhere/broken.node': 'not an ELF file', 'node_modules/.pnpm/.keep': '' });
    await symlink(join(root, 'elsewhere'), join(root, 'node_modules/.pnpm/node_modules'));
    expect(unloadableAddonPackages(root)).toEqual([]);
  });

  it('finds nothing where nothing is installed', async () => {
    expect(unloadableAddonPackages(await workspace({}))).toEqual([]);
    expect(packageOf('/x/node_modules/.pnpm/a@1/node_modules/@s/b/build/b.node')).toBe('@s/b');
  });
});
