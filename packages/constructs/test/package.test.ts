// The package as a stranger gets it: `npm pack`, installed from the tarball into a fresh project
// outside the workspace (peers packed from this workspace's own copies, so nothing is downloaded),
// the example app compiled against the published .d.ts and run, and its YAML checked.
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import {
  checkPodSecurity,
  checkServiceWiring,
  connectivityTable,
  enforcedLevel,
  findObject,
  formatAllowed,
  formatViolations,
  NetworkPolicyEvaluator,
  namespacesOf,
  parseManifests,
  podEndpoints,
  podTemplates,
  validateManifests,
  type Endpoint,
  type Manifest,
  type PodEndpoint,
} from '@natter/kube-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));
const WORKSPACE_ROOT = realpathSync(join(PACKAGE_DIR, '../..'));
const EXAMPLE_DIR = join(PACKAGE_DIR, 'examples/web-app-with-database');
const TSC = join(WORKSPACE_ROOT, 'node_modules/typescript/bin/tsc');
const PEERS = ['cdk8s', 'cdk8s-plus-27', 'constructs'] as const;

interface PackResult {
  readonly filename: string;
  readonly files: ReadonlyArray<{ readonly path: string }>;
}

async function npmPack(what: string, destination: string): Promise<PackResult> {
  const { stdout } = await run('npm', ['pack', what, '--json', '--ignore-scripts', '--pack-destination', destination], {
    cwd: PACKAGE_DIR,
  });
  const [result] = JSON.parse(stdout) as PackResult[];
  if (result === undefined) throw new Error(`npm pack ${what} reported nothing`);
  return result;
}

let scratch: string;
let packed: PackResult;
let manifest: Record<string, unknown>;
let objects: Manifest[];

beforeAll(async () => {
  scratch = realpathSync(mkdtempSync(join(tmpdir(), 'natter-constructs-consumer-')));
  expect(relative(WORKSPACE_ROOT, scratch).startsWith('..')).toBe(true);
  await run('npm', ['run', 'build'], { cwd: PACKAGE_DIR });
  packed = await npmPack('.', scratch);
  const peers = await Promise.all(PEERS.map((peer) => npmPack(realpathSync(join(PACKAGE_DIR, 'node_modules', peer)), scratch)));

  const project = join(scratch, 'shop');
  mkdirSync(join(project, 'src'), { recursive: true });
  const dependencies = Object.fromEntries(
    [['@natter/constructs', packed.filename], ...PEERS.map((peer, index) => [peer, peers[index]!.filename])].map(([name, file]) => [
      name,
      `file:../${file}`,
    ]),
  );
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'shop', private: true, type: 'module', dependencies }));
  await run('npm', ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts', '--no-package-lock'], { cwd: project });
  manifest = JSON.parse(readFileSync(join(project, 'node_modules/@natter/constructs/package.json'), 'utf8')) as Record<string, unknown>;

  for (const file of readdirSync(EXAMPLE_DIR).filter((name) => name.endsWith('.ts'))) {
    copyFileSync(join(EXAMPLE_DIR, file), join(project, 'src', file));
  }
  const compilerOptions = { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, skipLibCheck: true, outDir: 'out', rootDir: 'src', types: [] };
  writeFileSync(join(project, 'tsconfig.json'), JSON.stringify({ compilerOptions, include: ['src'] }));
  // Type-checks the example against the published declarations, then runs it with plain node.
  await run(process.execPath, [TSC, '-p', '.'], { cwd: project });
  await run(process.execPath, ['out/main.js'], { cwd: project });
  objects = parseManifests(readFileSync(join(project, 'dist/shop.k8s.yaml'), 'utf8'));
}, 300_000);

afterAll(() => {
  if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
});

describe('the packed library in a project of its own', () => {
  it('ships ESM JavaScript with declarations behind an exports map, and no tests', () => {
    const files = packed.files.map((file) => file.path);
    expect(files).toEqual(expect.arrayContaining(['package.json', 'README.md', 'lib/index.js', 'lib/index.d.ts']));
    expect(files.filter((file) => file.startsWith('test/') || file.startsWith('examples/'))).toEqual([]);
    expect(manifest).toMatchObject({
      name: '@natter/constructs',
      type: 'module',
      exports: { '.': { types: './lib/index.d.ts', default: './lib/index.js' } },
      peerDependencies: { cdk8s: expect.any(String), 'cdk8s-plus-27': expect.any(String), constructs: expect.any(String) },
    });
    expect(manifest.private).toBeUndefined();
    expect(String(manifest.version)).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('synthesizes the example app into schema-valid objects whose Services select their pods', () => {
    expect(objects.map((object) => object.kind)).toEqual(
      expect.arrayContaining(['Namespace', 'ResourceQuota', 'LimitRange', 'NetworkPolicy', 'StatefulSet', 'Deployment', 'Service', 'Ingress']),
    );
    expect(validateManifests(objects)).toEqual({ errors: [], unknownKinds: [] });
    expect(checkServiceWiring(objects)).toEqual([]);
    // The first validation in a worker compiles the Kubernetes OpenAPI schema: seconds on a busy machine.
  }, 60_000);

  it('passes Pod Security restricted, which its namespace enforces', () => {
    expect(enforcedLevel(findObject(objects, 'Namespace', 'shop').metadata?.labels ?? {})).toBe('restricted');
    const templates = podTemplates(objects);
    expect(templates.map((template) => template.ownerKind).sort()).toEqual(['Deployment', 'StatefulSet']);
    for (const template of templates) {
      expect(formatViolations(checkPodSecurity(template, 'restricted')), template.owner).toEqual([]);
      expect(template.spec.securityContext?.appArmorProfile, template.owner).toEqual({ type: 'RuntimeDefault' });
      expect(template.spec.automountServiceAccountToken, template.owner).toBe(false);
    }
  });

  it('allows exactly the flows the app needs: ingress -> web, web -> database, web -> DNS', () => {
    const pods = podEndpoints(objects, (_, index) => `10.244.0.${10 + index}`);
    const pod = (namespace: string, name: string, labels: Record<string, string>, ports: PodEndpoint['ports'] = []): Endpoint => ({
      kind: 'pod',
      name,
      namespace,
      labels,
      ports,
    });
    const outsiders: Endpoint[] = [
      pod('ingress-nginx', 'ingress-nginx-controller', { 'app.kubernetes.io/name': 'ingress-nginx' }),
      pod('kube-system', 'coredns', { 'k8s-app': 'kube-dns' }, [{ containerPort: 53, protocol: 'UDP' }, { containerPort: 53 }]),
      pod('other', 'impostor', { app: 'shop-web' }),
      { kind: 'ip', ip: '93.184.216.34' },
      { kind: 'ip', ip: '169.254.169.254' },
    ];
    const namespaces = [...namespacesOf(objects), ...['ingress-nginx', 'kube-system', 'other'].map((name) => ({ name }))];
    const evaluator = new NetworkPolicyEvaluator(objects, namespaces);
    const everything = [...pods, ...outsiders];
    const probes = [{ port: 53, protocol: 'UDP' as const }, { port: 53 }, { port: 80 }, { port: 443 }, { port: 5432 }, { port: 8080 }];
    const allowed = formatAllowed(connectivityTable(evaluator, everything, everything, probes)).filter((line) => line.includes('shop/'));
    expect(allowed.sort()).toEqual(
      [
        'ingress-nginx/ingress-nginx-controller -> shop/shop-web:8080/TCP',
        'shop/shop-web -> kube-system/coredns:53/TCP',
        'shop/shop-web -> kube-system/coredns:53/UDP',
        'shop/shop-web -> shop/shop-db:5432/TCP',
      ].sort(),
    );
  });
});
