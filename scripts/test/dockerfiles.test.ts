import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import semver from 'semver';
import { REPO_ROOT, SERVICES, type ServiceName } from '../bundle.js';
import { imageNodeMajor } from '../image-runtime.js';
import {
  copyParts,
  DISTROLESS_NODE_NONROOT,
  execForm,
  imageViolations,
  parseDockerfile,
  stageEnvironment,
  type Dockerfile,
  type Stage,
} from './support/dockerfile.js';
import { DockerIgnore } from './support/dockerignore.js';

const read = (path: string): string => readFileSync(join(REPO_ROOT, path), 'utf8');
const dockerIgnore = new DockerIgnore(read('.dockerignore'));
const SERVICE_NAMES = Object.keys(SERVICES) as ServiceName[];
/** The one Dockerfile, as `docker build --build-arg SERVICE=<service>` sees it. */
const dockerfileFor = (service: ServiceName): Dockerfile => parseDockerfile(read('Dockerfile'), { SERVICE: service });

interface Manifest {
  readonly name: string;
  readonly dependencies?: Record<string, string>;
}

function workspacePackages(): Map<string, string> {
  const byName = new Map<string, string>();
  for (const dir of readdirSync(join(REPO_ROOT, 'packages'))) {
    const manifestPath = join('packages', dir, 'package.json');
    if (existsSync(join(REPO_ROOT, manifestPath))) byName.set((JSON.parse(read(manifestPath)) as Manifest).name, dir);
  }
  return byName;
}

/** The package folders a service needs at build time: itself and its workspace dependencies, transitively. */
function workspaceClosure(service: ServiceName): Set<string> {
  const dirs = workspacePackages();
  const closure = new Set<string>();
  const visit = (dir: string): void => {
    if (closure.has(dir)) return;
    closure.add(dir);
    const manifest = JSON.parse(read(join('packages', dir, 'package.json'))) as Manifest;
    for (const [name, version] of Object.entries(manifest.dependencies ?? {})) {
      const depDir = dirs.get(name);
      if (version.startsWith('workspace:') && depDir !== undefined) visit(depDir);
    }
  };
  visit(service);
  return closure;
}

function filesUnder(path: string): string[] {
  const absolute = join(REPO_ROOT, path);
  if (!statSync(absolute).isDirectory()) return [path];
  return readdirSync(absolute).flatMap((entry) => (entry === 'node_modules' ? [] : filesUnder(`${path}/${entry}`)));
}

const contextCopies = (stage: Stage) =>
  stage.instructions
    .filter((instruction) => instruction.keyword === 'COPY')
    .map((instruction) => copyParts(instruction.args))
    .filter((copy) => !copy.flags.has('from'));

describe.each(SERVICE_NAMES)('the %s image', (service) => {
  const dockerfile = dockerfileFor(service);
  const build = dockerfile.stages[0]!;
  const runtime = dockerfile.stages.at(-1)!;

  it('satisfies every image-hardening rule', () => {
    expect(imageViolations(dockerfile)).toEqual([]);
  });

  it('runs the bundled server as UID/GID 10001 on port 4567 in production mode, with node on PATH', () => {
    const keyword = (name: string) => runtime.instructions.filter((instruction) => instruction.keyword === name);
    expect(keyword('USER').map((instruction) => instruction.args)).toEqual(['10001:10001']);
    expect(execForm(keyword('ENTRYPOINT').at(-1)!.args)).toEqual(['/nodejs/bin/node', '/app/server.mjs']);
    expect(keyword('EXPOSE').map((instruction) => instruction.args)).toEqual(['4567']);
    expect(stageEnvironment(runtime).get('NODE_ENV')).toBe('production');
    expect(stageEnvironment(runtime).get('PORT')).toBe('4567');
    expect(stageEnvironment(runtime).get('PATH')?.split(':')[0]).toBe('/nodejs/bin');
  });

  it('copies nothing into the runtime stage but the build output folder, whose only writer is the bundle step', () => {
    const copies = runtime.instructions.filter((instruction) => instruction.keyword === 'COPY').map((instruction) => copyParts(instruction.args));
    expect(copies).toHaveLength(1);
    expect(copies[0]!.flags.get('from')).toBe(build.name);
    expect(copies[0]!.sources).toEqual(['/out/']);
    expect(copies[0]!.destination).toBe('/app/');
    // What /out holds (the bundles and the SBOM, nothing else) is checked on the built image in image-build.test.ts.
    const writers = build.instructions.filter((instruction) => /(^|\s)\/out\b/.test(instruction.args));
    expect(writers.map((instruction) => instruction.keyword)).toEqual(['RUN']);
    expect(runtime.instructions.some((instruction) => ['RUN', 'ADD', 'VOLUME'].includes(instruction.keyword))).toBe(false);
  });

  it('installs exactly the locked dependencies of this service with the pinned pnpm, without install scripts', () => {
    const rootManifest = JSON.parse(read('package.json')) as { packageManager: string };
    const installs = build.instructions.filter((instruction) => instruction.keyword === 'RUN' && / install /.test(instruction.args));
    expect(installs).toHaveLength(1);
    const install = installs[0]!.args;
    expect(install).toContain(`npx -y ${rootManifest.packageManager} install`);
    expect(install).toContain('--frozen-lockfile');
    expect(install).toContain('--ignore-scripts');
    expect(install).toContain(`--filter @natter/${service}...`);
    const bundleStep = build.instructions.find((instruction) => instruction.keyword === 'RUN' && instruction.args.includes('bundle.ts'));
    expect(bundleStep?.args).toBe(`node_modules/.bin/tsx scripts/bundle.ts ${service} --outdir /out --sbom /out/sbom.cdx.json`);
  });

  it('copies the manifest, tsconfig and sources of every workspace package the service depends on', () => {
    const copiedSources = contextCopies(build).flatMap((copy) => copy.sources);
    for (const dir of workspaceClosure(service)) {
      expect(copiedSources).toContain(`packages/${dir}/package.json`);
      expect(copiedSources).toContain(`packages/${dir}/tsconfig.json`);
      expect(copiedSources).toContain(`packages/${dir}/src`);
    }
  });

  it('copies only paths that exist and that the .dockerignore lets into the build context', () => {
    for (const copy of contextCopies(build)) {
      for (const source of copy.sources) {
        const existingFiles = existsSync(join(REPO_ROOT, source)) ? filesUnder(source) : [];
        // A service's src/ may still be empty while it is being written; the manifest always exists.
        if (!source.endsWith('/src')) expect(existingFiles, source).not.toEqual([]);
        for (const file of existingFiles) expect(dockerIgnore.includes(file), file).toBe(true);
      }
    }
  });
});

describe('the images together', () => {
  it('come from one Dockerfile, so a digest bump or a hardening fix cannot leave one image behind', () => {
    for (const dir of readdirSync(join(REPO_ROOT, 'packages'))) expect(existsSync(join(REPO_ROOT, 'packages', dir, 'Dockerfile')), dir).toBe(false);
    const bases = SERVICE_NAMES.map((service) => dockerfileFor(service).stages.map((stage) => stage.image));
    for (const other of bases.slice(1)) expect(other).toEqual(bases[0]);
  });

  it('build on node:<major>-trixie-slim and run on distroless nodejs<major>-debian13:nonroot, one LTS major, both pinned by digest', () => {
    const [build, runtime] = dockerfileFor('natter-api').stages;
    const buildMajor = /^node:(\d+)-trixie-slim@sha256:[0-9a-f]{64}$/.exec(build!.image)?.[1];
    const runtimeMatch = DISTROLESS_NODE_NONROOT.exec(runtime!.image);
    expect(runtime!.image).toMatch(/@sha256:[0-9a-f]{64}$/);
    expect(runtimeMatch?.[2], 'Debian 13: distroless stopped building Debian 12 images in 2026-09').toBe('13');
    expect(Number(buildMajor)).toBe(Number(runtimeMatch?.[1]));
    // CI's second test run reads the major from here (scripts/image-runtime.ts); LTS lines are even.
    expect(imageNodeMajor()).toBe(Number(buildMajor));
    expect(imageNodeMajor() % 2).toBe(0);
    expect(imageNodeMajor()).toBeGreaterThanOrEqual(24);
  });

  it('run a Node line that `engines` supports, as does the Node running this test (CI runs it on both lines)', () => {
    const { engines } = JSON.parse(read('package.json')) as { engines: { node: string } };
    // 24.11.0 opened the 24 LTS line; engines names the LTS releases of each supported line.
    expect(semver.satisfies(`${imageNodeMajor()}.11.0`, engines.node)).toBe(true);
    expect(semver.satisfies(`${imageNodeMajor()}.10.0`, engines.node)).toBe(false);
    expect(semver.satisfies(process.versions.node, engines.node), `Node ${process.versions.node} against engines ${engines.node}`).toBe(true);
    expect(semver.satisfies('22.12.0', engines.node), 'Node 22 is not tested, so not claimed').toBe(false);
  });

  it('refuse to build without SERVICE, before anything is copied, naming every service', () => {
    const build = parseDockerfile(read('Dockerfile')).stages[0]!;
    const guard = build.instructions.find((instruction) => instruction.keyword === 'RUN')!;
    expect(build.instructions.indexOf(guard)).toBeLessThan(build.instructions.findIndex((instruction) => instruction.keyword === 'COPY'));
    expect(/SERVICE=<([^>]+)>/.exec(guard.args)?.[1]?.split('|').sort()).toEqual([...SERVICE_NAMES].sort());
    const runGuard = (service: string) => {
      try {
        execFileSync('sh', ['-c', guard.args], { env: { ...process.env, SERVICE: service }, stdio: 'pipe' });
        return 0;
      } catch (error) {
        return (error as { status: number }).status;
      }
    };
    expect(runGuard('')).not.toBe(0);
    expect(runGuard('natter-api')).toBe(0);
  });
});

describe('the .dockerignore allow-list', () => {
  it('keeps dependencies, history, tests, benchmarks, secrets and synthesized YAML out of the build context', () => {
    for (const path of [
      'node_modules/esbuild/package.json',
      'packages/natter-api/node_modules/pg/package.json',
      '.git/config',
      'packages/link-preview/test/support/serve-with-fixture-allowance.ts',
      'packages/natter-api/test/walkthrough.test.ts',
      'packages/natter-api/bench/run.ts',
      'packages/link-preview/src/preview/fetch.test.ts',
      'packages/natter-api/src/hmac.key',
      'packages/natter-api/src/.env',
      // A developer's registry credentials live here; the build needs none.
      '.npmrc',
      'dist/natter.k8s.yaml',
      'scripts/dev.ts',
      'charts/natter-chart.ts',
    ]) {
      expect(dockerIgnore.includes(path), path).toBe(false);
    }
  });

  it('lets in what the image builds need', () => {
    for (const path of [
      'package.json',
      'pnpm-lock.yaml',
      'pnpm-workspace.yaml',
      'tsconfig.base.json',
      'scripts/bundle.ts',
      'scripts/sbom.ts',
      'packages/link-preview/package.json',
      'packages/natter-api/tsconfig.json',
      'packages/natter-api/src/server.ts',
      'packages/link-preview/src/preview/index.ts',
    ]) {
      expect(dockerIgnore.includes(path), path).toBe(true);
    }
  });
});

describe('the image-hardening rules', () => {
  const good = read('Dockerfile');
  const violationsOf = (text: string) => imageViolations(parseDockerfile(text, { SERVICE: 'link-preview' }));

  it('fails when a base image is referenced by tag only', () => {
    expect(violationsOf(good.replace(/@sha256:[0-9a-f]{64}/, ''))).toEqual([expect.stringMatching(/not pinned by sha256 digest/)]);
  });

  it('fails when an image uses the latest tag', () => {
    const latest = good.replace(/node:\d+-trixie-slim@/, 'node:latest@');
    expect(violationsOf(latest)).toEqual([expect.stringMatching(/latest tag/)]);
  });

  it('fails when the runtime stage is not distroless Node.js nonroot', () => {
    const rootVariant = good.replace(/(distroless\/nodejs\d+-debian\d+):nonroot@/, '$1@');
    expect(violationsOf(rootVariant)).toEqual([expect.stringMatching(/runtime stage must be gcr\.io\/distroless\/nodejs<major>/)]);
    const withShell = good.replace(/ARG RUNTIME_IMAGE=[^\n]+/, `ARG RUNTIME_IMAGE=node:24-trixie-slim@sha256:${'a'.repeat(64)}`);
    expect(violationsOf(withShell)).toEqual([expect.stringMatching(/runtime stage must be gcr\.io\/distroless\/nodejs<major>/)]);
  });

  it('fails when the runtime user is a name, a low UID or missing', () => {
    expect(violationsOf(good.replace('USER 10001:10001', 'USER nonroot'))).toEqual([expect.stringMatching(/numeric uid:gid/)]);
    expect(violationsOf(good.replace('USER 10001:10001', 'USER 1000:1000'))).toEqual([expect.stringMatching(/>= 10001/)]);
    expect(violationsOf(good.replace('USER 10001:10001', 'USER 10001:0'))).toEqual([expect.stringMatching(/>= 10001/)]);
    expect(violationsOf(good.replace('USER 10001:10001', ''))).toEqual([expect.stringMatching(/got none/)]);
  });

  it('fails when the build is single-stage, uses a shell in the runtime stage, or bakes in a secret', () => {
    const singleStage = good.slice(0, good.indexOf('# ---- build')) + good.slice(good.indexOf('# ---- runtime'));
    expect(violationsOf(singleStage)).toEqual(['multi-stage build expected, found 1 stage(s)']);
    expect(violationsOf(`${good}\nRUN echo hi\n`)).toEqual([expect.stringMatching(/RUN in the runtime stage/)]);
    expect(violationsOf(`${good}\nENV HMAC_KEY=abc\n`)).toEqual([expect.stringMatching(/secret-looking ENV/)]);
    expect(violationsOf(good.replace('ENTRYPOINT ["/nodejs/bin/node", "/app/server.mjs"]', 'ENTRYPOINT node /app/server.mjs'))).toEqual([
      expect.stringMatching(/exec form/),
    ]);
  });
});
