import { readdir, readFile, cp, mkdir } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, SERVICES, type ServiceName } from '../bundle.js';
import { request } from '../lib/http.js';
import { apiEnvironment, createSecretsDirectory, linkPreviewEnvironment } from '../lib/natter-services.js';
import { freePort, startService } from '../lib/service-process.js';
import { copyParts, execForm, parseDockerfile } from './support/dockerfile.js';
import { DockerIgnore } from './support/dockerignore.js';
import { emulateBuildStage } from './support/emulated-build.js';
import { temporaryDirectory } from './support/fixtures.js';

const removals: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const remove of removals) await remove();
});

/**
 * The image build without a Docker engine: the build stage runs from the filtered build context
 * (offline, from the package caches), the runtime stage receives only what its COPY --from lines
 * name, and the ENTRYPOINT's script runs with plain node from there — no node_modules anywhere.
 */
describe.each(Object.keys(SERVICES) as ServiceName[])('building the %s image', (service) => {
  it('produces a runtime filesystem holding only the bundles, and the entrypoint serves', async () => {
    const dockerfile = parseDockerfile(await readFile(join(REPO_ROOT, `packages/${service}/Dockerfile`), 'utf8'));
    const context = new DockerIgnore(await readFile(join(REPO_ROOT, '.dockerignore'), 'utf8'));
    const root = await temporaryDirectory(`natter-image-${service}-`);
    removals.push(root.remove);
    const build = await emulateBuildStage(dockerfile.stages[0]!, { contextRoot: REPO_ROOT, context, root: join(root.path, 'build') });

    const runtime = dockerfile.stages.at(-1)!;
    const runtimeRoot = join(root.path, 'runtime');
    for (const instruction of runtime.instructions.filter((candidate) => candidate.keyword === 'COPY')) {
      const { sources, destination } = copyParts(instruction.args);
      for (const source of sources) {
        const target = destination.endsWith('/') ? posix.join(destination, posix.basename(source)) : destination;
        await mkdir(join(runtimeRoot, posix.dirname(target)), { recursive: true });
        await cp(build.pathOf(source), join(runtimeRoot, target));
      }
    }
    const bundles = Object.keys(SERVICES[service]).map((name) => `${name}.mjs`).sort();
    expect((await readdir(join(runtimeRoot, 'app'))).sort()).toEqual(bundles);
    expect(await readdir(runtimeRoot)).toEqual(['app']);

    const entrypoint = execForm(runtime.instructions.find((instruction) => instruction.keyword === 'ENTRYPOINT')!.args)!;
    const script = join(runtimeRoot, entrypoint[1]!);
    const port = await freePort();
    const host = `natter-${service}-service:${port}`;
    const secrets = await createSecretsDirectory('natter-image-secrets-');
    removals.push(secrets.remove);
    const env =
      service === 'link-preview'
        ? linkPreviewEnvironment({ port, bindAddress: '127.0.0.1', allowedHosts: [host] })
        : await apiEnvironment({
            port,
            bindAddress: '127.0.0.1',
            allowedHosts: [host],
            database: { host: '127.0.0.1', port: await freePort(), database: 'natter', user: 'natter_api_user', password: 'unused-password' },
            secrets,
          });
    const running = await startService({ name: `${service} (image)`, entry: script, cwd: join(runtimeRoot, 'app'), env: { ...env, NODE_ENV: 'production' } });
    try {
      expect((await request(`${running.url}/health`, { headers: { host } })).status).toBe(200);
      expect((await request(`${running.url}/health`, { headers: { host: 'rebound.attacker.example' } })).status).toBe(400);
    } finally {
      await running.stop();
    }
  }, 240_000);
});
