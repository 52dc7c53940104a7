/**
 * `npm run images` with the container builder replaced at the process boundary: fake `docker` and
 * `buildah` executables on a PATH that holds nothing else (no real builder, registry or git is
 * reachable), which record their arguments and answer as the real ones do.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseImageLock, serializeImageLock, UNRELEASED_DIGEST, type ImageLock } from '../../charts/src/image-lock.js';
import { MIRRORED_CLOUDNATIVE_PG_IMAGE, MIRRORED_POSTGRES_IMAGE } from '../../charts/src/image-lock.js';
import { REPO_ROOT } from '../bundle.js';
import { temporaryDirectory } from './support/fixtures.js';

const FAKE_BUILDER = `#!/usr/bin/env node
// Records argv; answers like docker/buildah after a successful push. FAKE_FAIL=<subcommand>[:<nth>] fails that call.
const { appendFileSync, readFileSync, writeFileSync, existsSync } = require('node:fs');
const { createHash } = require('node:crypto');
const { basename } = require('node:path');
const tool = basename(process.argv[1]);
const args = process.argv.slice(2);
const log = process.env.FAKE_LOG;
appendFileSync(log, JSON.stringify([tool, ...args]) + '\\n');
const calls = readFileSync(log, 'utf8').trim().split('\\n').map((line) => JSON.parse(line)).filter((argv) => argv[1] === args[0]).length;
const [failing, nth = '1'] = (process.env.FAKE_FAIL || '').split(':');
if (failing === args[0] && Number(nth) === calls) { console.error(tool + ' ' + args[0] + ': simulated failure'); process.exit(1); }
const digest = (reference) => 'sha256:' + createHash('sha256').update(reference).digest('hex');
const repository = (reference) => reference.replace(/:[^/:]+$/, '');
if (tool === 'docker' && args[0] === 'image' && args[1] === 'inspect') {
  const reference = args.at(-1);
  process.stdout.write(JSON.stringify(process.env.FAKE_NO_DIGEST ? [] : ['elsewhere.example/x@' + digest('x'), repository(reference) + '@' + digest(reference)]) + '\\n');
}
if (tool === 'buildah' && args[0] === 'push') writeFileSync(args[args.indexOf('--digestfile') + 1], digest(args[args.indexOf('--digestfile') + 2]));
`;

/** The digest the fakes report for a pushed reference. */
const digestOf = (reference: string) => `sha256:${createHash('sha256').update(reference).digest('hex')}`;

const ZERO_LOCK: ImageLock = {
  'natter-api': `registry.natter.example/natter-api@${UNRELEASED_DIGEST}`,
  'natter-link-preview': `registry.natter.example/natter-link-preview@${UNRELEASED_DIGEST}`,
  postgres: `registry.natter.example/postgres@${UNRELEASED_DIGEST}`,
  'cloudnative-pg-postgresql': `registry.natter.example/cloudnative-pg-postgresql@${UNRELEASED_DIGEST}`,
};
const POSTGRES_TAG = MIRRORED_POSTGRES_IMAGE.split(':')[1]!;
const OPERAND_TAG = MIRRORED_CLOUDNATIVE_PG_IMAGE.split(':')[1]!;

let work: { path: string; remove(): Promise<void> };
beforeAll(async () => {
  work = await temporaryDirectory('natter-images-');
  for (const dir of ['both', 'buildah-only', 'none']) {
    const bin = join(work.path, dir);
    await mkdir(bin);
    // The fakes run on this node; nothing else is on their PATH.
    await symlink(process.execPath, join(bin, 'node'));
    for (const tool of dir === 'both' ? ['docker', 'buildah'] : dir === 'buildah-only' ? ['buildah'] : []) {
      await writeFile(join(bin, tool), FAKE_BUILDER);
      await chmod(join(bin, tool), 0o755);
    }
  }
});
afterAll(async () => {
  await work?.remove();
});

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** argv of every builder call, in order. */
  readonly calls: string[][];
  readonly lock: string;
}

let runs = 0;
async function images(args: readonly string[], options: { bin?: string; env?: Record<string, string>; lock?: string } = {}): Promise<Run> {
  runs += 1;
  const lockPath = join(work.path, `lock-${runs}.json`);
  await writeFile(lockPath, options.lock ?? serializeImageLock(ZERO_LOCK));
  const log = join(work.path, `calls-${runs}.log`);
  await writeFile(log, '');
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/images.ts', '--lock', lockPath, ...args], {
    cwd: REPO_ROOT,
    env: { PATH: join(work.path, options.bin ?? 'both'), FAKE_LOG: log, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  const calls = (await readFile(log, 'utf8'))
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as string[]);
  return { code, stdout, stderr, calls, lock: await readFile(lockPath, 'utf8') };
}

const dockerfile = join(REPO_ROOT, 'Dockerfile');

describe('npm run images', () => {
  it('with docker: builds both services, mirrors both PostgreSQL images, pushes all four, then locks the pushed digests', async () => {
    const run = await images(['--tag', 'v1.2.0']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const api = 'registry.natter.example/natter-api:v1.2.0';
    const preview = 'registry.natter.example/natter-link-preview:v1.2.0';
    const postgres = `registry.natter.example/postgres:${POSTGRES_TAG}`;
    const operand = `registry.natter.example/cloudnative-pg-postgresql:${OPERAND_TAG}`;
    const inspect = (reference: string) => ['docker', 'image', 'inspect', '--format', '{{json .RepoDigests}}', reference];
    expect(run.calls).toEqual([
      ['docker', 'build', '--file', dockerfile, '--build-arg', 'SERVICE=natter-api', '--tag', api, REPO_ROOT],
      ['docker', 'build', '--file', dockerfile, '--build-arg', 'SERVICE=link-preview', '--tag', preview, REPO_ROOT],
      ['docker', 'pull', `docker.io/library/${MIRRORED_POSTGRES_IMAGE}`],
      ['docker', 'tag', `docker.io/library/${MIRRORED_POSTGRES_IMAGE}`, postgres],
      // Named with its registry, so never looked up on Docker Hub.
      ['docker', 'pull', MIRRORED_CLOUDNATIVE_PG_IMAGE],
      ['docker', 'tag', MIRRORED_CLOUDNATIVE_PG_IMAGE, operand],
      ['docker', 'push', api],
      inspect(api),
      ['docker', 'push', preview],
      inspect(preview),
      ['docker', 'push', postgres],
      inspect(postgres),
      ['docker', 'push', operand],
      inspect(operand),
    ]);
    expect(parseImageLock(run.lock)).toEqual({
      'natter-api': `registry.natter.example/natter-api@${digestOf(api)}`,
      'natter-link-preview': `registry.natter.example/natter-link-preview@${digestOf(preview)}`,
      postgres: `registry.natter.example/postgres@${digestOf(postgres)}`,
      'cloudnative-pg-postgresql': `registry.natter.example/cloudnative-pg-postgresql@${digestOf(operand)}`,
    });
    // The format the repository's lock file has, so a release changes one line per image.
    expect(run.lock).toBe(serializeImageLock(parseImageLock(run.lock)));
  });

  it('with buildah and --registry: pushes there, takes the digest buildah writes, and moves the lock to that registry', async () => {
    const run = await images(['--builder', 'buildah', '--registry', 'registry.example.com:5000/natter', '--tag', 'v2']);
    expect(run.code).toBe(0);
    const api = 'registry.example.com:5000/natter/natter-api:v2';
    expect(run.calls[0]).toEqual(['buildah', 'build', '--file', dockerfile, '--build-arg', 'SERVICE=natter-api', '--tag', api, REPO_ROOT]);
    const push = run.calls.find((argv) => argv[1] === 'push')!;
    expect(push).toEqual(['buildah', 'push', '--digestfile', expect.stringMatching(/natter-api\.digest$/), api, `docker://${api}`]);
    expect(run.calls.filter((argv) => argv[1] === 'push')).toHaveLength(4);
    expect(parseImageLock(run.lock)['natter-api']).toBe(`registry.example.com:5000/natter/natter-api@${digestOf(api)}`);
    expect(parseImageLock(run.lock).postgres).toBe(`registry.example.com:5000/natter/postgres@${digestOf(`registry.example.com:5000/natter/postgres:${POSTGRES_TAG}`)}`);
  });

  it('picks docker when both builders are on PATH, buildah when it is the only one', async () => {
    expect((await images(['--tag', 't', '--only', 'natter-api'])).calls[0]?.[0]).toBe('docker');
    expect((await images(['--tag', 't', '--only', 'natter-api'], { bin: 'buildah-only' })).calls[0]?.[0]).toBe('buildah');
  });

  it('with --only: releases just that image and leaves the other entries as they were', async () => {
    const run = await images(['--tag', 't', '--only', 'natter-link-preview']);
    expect(run.code).toBe(0);
    expect(run.calls.map((argv) => argv[1])).toEqual(['build', 'push', 'image']);
    const lock = parseImageLock(run.lock);
    expect(lock['natter-api']).toBe(ZERO_LOCK['natter-api']);
    expect(lock.postgres).toBe(ZERO_LOCK.postgres);
    expect(lock['natter-link-preview']).not.toBe(ZERO_LOCK['natter-link-preview']);
  });

  it('with --dry-run: prints every command and runs none', async () => {
    const run = await images(['--tag', 't', '--dry-run']);
    expect(run.code).toBe(0);
    expect(run.calls).toEqual([]);
    expect(run.lock).toBe(serializeImageLock(ZERO_LOCK));
    expect(run.stdout).toContain(`$ docker build --file ${dockerfile} --build-arg SERVICE=natter-api --tag registry.natter.example/natter-api:t ${REPO_ROOT}`);
    expect(run.stdout.match(/^\$ docker push /gm)).toHaveLength(4);
  });

  it('fails when a build fails: nothing is pushed and the lock is unchanged', async () => {
    const run = await images(['--tag', 't'], { env: { FAKE_FAIL: 'build:2' } });
    expect(run.code).toBe(1);
    expect(run.calls.map((argv) => argv[1])).toEqual(['build', 'build']);
    expect(run.stderr).toContain(`docker build --file ${dockerfile} --build-arg SERVICE=link-preview`);
    expect(run.stderr).toMatch(/nothing released: .* is unchanged/);
    expect(run.lock).toBe(serializeImageLock(ZERO_LOCK));
  });

  it('fails when a later push fails: the images already pushed are not locked either', async () => {
    const run = await images(['--tag', 't'], { env: { FAKE_FAIL: 'push:3' } });
    expect(run.code).toBe(1);
    expect(run.calls.filter((argv) => argv[1] === 'push')).toHaveLength(3);
    expect(run.lock).toBe(serializeImageLock(ZERO_LOCK));
  });

  it('fails when the builder reports no digest for the pushed repository', async () => {
    const run = await images(['--tag', 't', '--only', 'natter-api'], { env: { FAKE_NO_DIGEST: '1' } });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('docker knows no digest of registry.natter.example/natter-api after the push');
    expect(run.lock).toBe(serializeImageLock(ZERO_LOCK));
  });

  it.each([
    ['an unknown option', ['--tag', 't', '--force'], /Unknown option '--force'/],
    ['an unknown builder', ['--tag', 't', '--builder', 'podman'], /--builder must be one of docker, buildah, got 'podman'/],
    ['an unknown image', ['--tag', 't', '--only', 'redis'], /--only must name one of natter-api, natter-link-preview, postgres, cloudnative-pg-postgresql, got 'redis'/],
    ['a registry with a tag', ['--tag', 't', '--registry', 'registry.example.com/natter:1'], /--registry must be <host>\/<path>/],
    ['a registry without a host', ['--tag', 't', '--registry', 'natter'], /--registry must be <host>\/<path>/],
    ['an invalid tag', ['--tag', 'v1/2'], /--tag must be a valid image tag/],
    ['no tag and no git to derive one', [], /no --tag given and no git commit/],
  ])('exits 2 on %s, running nothing', async (_case, args, message) => {
    const run = await images(args);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stderr).toContain('usage: npm run images --');
    expect(run.calls).toEqual([]);
  });

  it('exits 2 when no builder is on PATH', async () => {
    const run = await images(['--tag', 't'], { bin: 'none' });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('no container builder on PATH: install docker or buildah, or name one with --builder');
  });

  it('exits 2 on an invalid lock file, before building anything', async () => {
    const run = await images(['--tag', 't'], { lock: '{"natter-api": "natter-api:latest"}' });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/'natter-api' must be <registry>\/<repository>@sha256:<64 hex>/);
    expect(run.calls).toEqual([]);
  });
});
