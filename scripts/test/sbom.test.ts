import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Spec, Validation } from '@cyclonedx/cyclonedx-library';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { bundleService, REPO_ROOT, SERVICES, type ServiceName } from '../bundle.js';
import { CYCLONEDX_SPEC_VERSION, serviceSbom, type CycloneDxBom } from '../sbom.js';
import { temporaryDirectory } from './support/fixtures.js';

const SPEC_VERSIONS: Readonly<Record<string, Spec.Version>> = { '1.5': Spec.Version.v1dot5, '1.6': Spec.Version.v1dot6 };

async function schemaErrors(bom: CycloneDxBom): Promise<unknown> {
  const version = SPEC_VERSIONS[bom.specVersion];
  if (version === undefined) throw new Error(`no validator for CycloneDX ${bom.specVersion}`);
  return new Validation.JsonStrictValidator(version).validate(JSON.stringify(bom));
}

const packageName = (component: { group?: string; name: string }) => (component.group === undefined ? component.name : `${component.group}/${component.name}`);

interface LockedIntegrity {
  readonly packages: Record<string, { resolution?: { integrity?: string } }>;
}

describe.each(Object.keys(SERVICES) as ServiceName[])('the %s SBOM', (service) => {
  let outDir: { path: string; remove(): Promise<void> };
  let bom: CycloneDxBom;
  let names: Set<string>;

  beforeAll(async () => {
    outDir = await temporaryDirectory(`natter-sbom-${service}-`);
    const { inputs } = await bundleService(service, outDir.path);
    bom = serviceSbom({ root: REPO_ROOT, service, bundleInputs: inputs });
    names = new Set(bom.components.map(packageName));
  });

  afterAll(async () => {
    await outDir?.remove();
  });

  it(`is a valid CycloneDX ${CYCLONEDX_SPEC_VERSION} document about the service`, async () => {
    expect(await schemaErrors(bom)).toBeNull();
    const manifest = JSON.parse(await readFile(join(REPO_ROOT, 'packages', service, 'package.json'), 'utf8')) as { name: string; version: string };
    expect(packageName(bom.metadata.component)).toBe(manifest.name);
    expect(bom.metadata.component.version).toBe(manifest.version);
  });

  it('lists the packages the bundle ships and none it leaves out', () => {
    for (const shipped of ['koa', '@koa/router', 'pino', '@natter/service-kit']) expect(names, shipped).toContain(shipped);
    // Production dependencies that never reach the image (stubbed out, or only a dev-time runner).
    for (const absent of ['@electric-sql/pglite', 'tsx', 'esbuild', 'supports-color']) expect(names, absent).not.toContain(absent);
    // Development dependencies.
    for (const absent of ['vitest', 'supertest', 'got', 'autocannon', 'typescript']) expect(names, absent).not.toContain(absent);
    if (service === 'natter-api') expect(names).toContain('pg');
    if (service === 'link-preview') {
      expect(names).toContain('ipaddr.js');
      expect(names).toContain('entities');
      // The benchmark's baselines parse with it; the service reads heads with its own tokenizer.
      expect(names).not.toContain('node-html-parser');
      expect(names).not.toContain('pg');
    }
  });

  it('pins every registry package to its lockfile version and SHA-512 by package URL', async () => {
    const lockfile = parse(await readFile(join(REPO_ROOT, 'pnpm-lock.yaml'), 'utf8')) as LockedIntegrity;
    const registryComponents = bom.components.filter((component) => component.purl !== undefined);
    expect(registryComponents.length).toBeGreaterThan(20);
    for (const component of registryComponents) {
      const name = packageName(component);
      const integrity = lockfile.packages[`${name}@${component.version}`]?.resolution?.integrity;
      expect(integrity, `${name}@${component.version} in pnpm-lock.yaml`).toMatch(/^sha512-/);
      expect(component.hashes).toEqual([{ alg: 'SHA-512', content: Buffer.from(integrity!.slice('sha512-'.length), 'base64').toString('hex') }]);
      expect(component.purl).toBe(`pkg:npm/${name.replace('@', '%40')}@${component.version}`);
      expect(component['bom-ref']).toBe(component.purl);
    }
  });

  it('has a dependency graph that reaches every component from the service', () => {
    const edges = new Map(bom.dependencies.map((entry) => [entry.ref, entry.dependsOn]));
    const refs = new Set(bom.components.map((component) => component['bom-ref']));
    for (const targets of edges.values()) for (const target of targets) expect(refs).toContain(target);
    const reached = new Set<string>();
    const visit = (ref: string): void => {
      if (reached.has(ref)) return;
      reached.add(ref);
      for (const next of edges.get(ref) ?? []) visit(next);
    };
    visit(bom.metadata.component['bom-ref']);
    expect([...refs].filter((ref) => !reached.has(ref))).toEqual([]);
  });

  it('fails when the bundle contains a package that is not a locked production dependency', async () => {
    const lockfile = await readFile(join(REPO_ROOT, 'pnpm-lock.yaml'), 'utf8');
    const devOnly = /^ {2}(supertest@[^:(]+):$/m.exec(lockfile)![1]!;
    const input = `node_modules/.pnpm/${devOnly}/node_modules/supertest/index.js`;
    expect(() => serviceSbom({ root: REPO_ROOT, service, bundleInputs: [input] })).toThrow(
      `the ${service} bundle contains packages that are not locked production dependencies of packages/${service}: ${devOnly}`,
    );
  });
});

/** A workspace of its own: a lockfile and installed package manifests, nothing else. */
async function fixtureWorkspace(files: Record<string, string>): Promise<string> {
  const root = await temporaryDirectory('natter-sbom-fixture-');
  fixtureRoots.push(root);
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(root.path, path)), { recursive: true });
    await writeFile(join(root.path, path), content);
  }
  return root.path;
}
const fixtureRoots: { remove(): Promise<void> }[] = [];
afterAll(async () => {
  for (const root of fixtureRoots) await root.remove();
});

const FIXTURE_LOCKFILE = `lockfileVersion: '9.0'
importers:
  .: {}
  packages/app:
    dependencies:
      '@scope/router':
        specifier: ^2
        version: 2.0.0(core@1.0.0)
      core:
        specifier: ^1
        version: 1.0.0
      kit:
        specifier: workspace:*
        version: link:../kit
  packages/kit:
    dependencies:
      core:
        specifier: ^1
        version: 1.0.0
packages:
  '@scope/router@2.0.0':
    resolution: {integrity: sha512-${Buffer.alloc(64, 1).toString('base64')}}
  core@1.0.0:
    resolution: {integrity: sha512-${Buffer.alloc(64, 2).toString('base64')}}
snapshots:
  '@scope/router@2.0.0(core@1.0.0)':
    dependencies:
      core: 1.0.0
  core@1.0.0: {}
`;

const manifest = (name: string, version: string, license?: string) => JSON.stringify({ name, version, ...(license === undefined ? {} : { license }) });

describe('serviceSbom on a fixture workspace', () => {
  const files = {
    'pnpm-lock.yaml': FIXTURE_LOCKFILE,
    'packages/app/package.json': manifest('@fixture/app', '1.2.3'),
    'packages/kit/package.json': manifest('@fixture/kit', '0.1.0', 'MIT'),
    'node_modules/.pnpm/@scope+router@2.0.0_core@1.0.0/node_modules/@scope/router/package.json': manifest('@scope/router', '2.0.0', '(MIT OR Apache-2.0)'),
    'node_modules/.pnpm/core@1.0.0/node_modules/core/package.json': manifest('core', '1.0.0', 'SEE LICENSE IN LICENSE.md'),
  };
  const inputs = [
    'packages/app/src/server.ts',
    'packages/kit/src/index.ts',
    'node_modules/.pnpm/@scope+router@2.0.0_core@1.0.0/node_modules/@scope/router/lib/index.js',
    'node_modules/.pnpm/core@1.0.0/node_modules/core/index.js',
    'node_modules/.pnpm/core@1.0.0/node_modules/core/lib/deep.js',
    'development-only:@electric-sql/pglite',
  ];

  it('follows workspace links and peer-suffixed versions, encodes scoped package URLs and keeps licenses', async () => {
    const root = await fixtureWorkspace(files);
    const bom = serviceSbom({ root, service: 'app', bundleInputs: inputs });
    expect(await schemaErrors(bom)).toBeNull();
    expect(bom.metadata.component).toEqual({ type: 'application', 'bom-ref': 'workspace:packages/app', group: '@fixture', name: 'app', version: '1.2.3' });
    expect(bom.components).toEqual([
      {
        type: 'library',
        'bom-ref': 'pkg:npm/%40scope/router@2.0.0',
        group: '@scope',
        name: 'router',
        version: '2.0.0',
        purl: 'pkg:npm/%40scope/router@2.0.0',
        hashes: [{ alg: 'SHA-512', content: '01'.repeat(64) }],
        licenses: [{ expression: '(MIT OR Apache-2.0)' }],
      },
      {
        type: 'library',
        'bom-ref': 'pkg:npm/core@1.0.0',
        name: 'core',
        version: '1.0.0',
        purl: 'pkg:npm/core@1.0.0',
        hashes: [{ alg: 'SHA-512', content: '02'.repeat(64) }],
        licenses: [{ license: { name: 'SEE LICENSE IN LICENSE.md' } }],
      },
      { type: 'library', 'bom-ref': 'workspace:packages/kit', group: '@fixture', name: 'kit', version: '0.1.0', licenses: [{ expression: 'MIT' }] },
    ]);
    expect(bom.dependencies).toEqual([
      { ref: 'pkg:npm/%40scope/router@2.0.0', dependsOn: ['pkg:npm/core@1.0.0'] },
      { ref: 'pkg:npm/core@1.0.0', dependsOn: [] },
      { ref: 'workspace:packages/app', dependsOn: ['pkg:npm/%40scope/router@2.0.0', 'pkg:npm/core@1.0.0', 'workspace:packages/kit'] },
      { ref: 'workspace:packages/kit', dependsOn: ['pkg:npm/core@1.0.0'] },
    ]);
  });

  it('fails when a bundled package has a version the lockfile does not pin', async () => {
    const root = await fixtureWorkspace({
      ...files,
      'node_modules/.pnpm/core@1.0.0/node_modules/core/package.json': manifest('core', '1.0.1'),
    });
    expect(() => serviceSbom({ root, service: 'app', bundleInputs: inputs })).toThrow(
      'the app bundle contains packages that are not locked production dependencies of packages/app: core@1.0.1 (node_modules/.pnpm/core@1.0.0/node_modules/core)',
    );
  });

  it('fails when the bundle contains a workspace package the service does not depend on', async () => {
    const root = await fixtureWorkspace({ ...files, 'packages/stray/package.json': manifest('@fixture/stray', '0.0.1') });
    expect(() => serviceSbom({ root, service: 'app', bundleInputs: [...inputs, 'packages/stray/src/index.ts'] })).toThrow(
      'the app bundle contains packages that are not locked production dependencies of packages/app: @fixture/stray (packages/stray)',
    );
  });
});
