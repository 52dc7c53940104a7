/**
 * `npm run images` — the release path of the prod images. Builds natter-api and
 * natter-link-preview from the Dockerfile, mirrors the PostgreSQL images (the dev profile's official
 * image and the CloudNativePG operand prod runs), pushes all four to their registry and, only when every push succeeded, rewrites images.lock.json with
 * the digests the registry reported. `npm run synth` then puts exactly those digests into
 * dist/prod (the chart refuses any other prod image).
 *
 *   npm run images -- [--builder docker|buildah] [--registry <host>/<path>] [--tag <tag>]
 *                     [--only <image>]... [--lock <file>] [--dry-run]
 *
 * --builder   default: the first of docker, buildah on PATH
 * --registry  push every image to <host>/<path>/<image>; default: each image's repository in the lock
 * --tag       tag of the built images; default: the git commit (the lock pins the digest either way)
 * --only      release only these images (natter-api, natter-link-preview, postgres, cloudnative-pg-postgresql); repeatable
 * --lock      the lock file to read and rewrite; default: images.lock.json
 * --dry-run   print the commands, run nothing, write nothing
 *
 * Exit codes: 0 released, 1 a builder command failed (the lock is left as it was), 2 bad usage.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { IMAGE_LOCK_FILE, isRepository, LOCKED_IMAGE_NAMES, MIRRORED_CLOUDNATIVE_PG_IMAGE, MIRRORED_POSTGRES_IMAGE, parseImageLock, serializeImageLock, splitReference, type ImageLock, type LockedImageName } from '../charts/src/image-lock.js';
import { REPO_ROOT, type ServiceName } from './bundle.js';
import { BUILDER, BUILDERS, isBuilderName, type Argv, type Builder } from './image-builders.js';
import { DOCKERFILE } from './image-runtime.js';

/** Where each locked image comes from: our Dockerfile for a service, or a public image we mirror. */
export type ImageSource = { readonly kind: 'build'; readonly service: ServiceName } | { readonly kind: 'mirror'; readonly image: string };

/** `postgres:16` → `docker.io/library/postgres:16`: builders must not guess a registry. */
function onDockerHub(image: string): string {
  const [first = '', ...rest] = image.split('/');
  if (rest.length > 0 && (first.includes('.') || first.includes(':') || first === 'localhost')) return image;
  return rest.length === 0 ? `docker.io/library/${image}` : `docker.io/${image}`;
}

export const IMAGE_SOURCES: Readonly<Record<LockedImageName, ImageSource>> = {
  'natter-api': { kind: 'build', service: 'natter-api' },
  'natter-link-preview': { kind: 'build', service: 'link-preview' },
  // The version dev runs, so dev and prod run the same PostgreSQL.
  postgres: { kind: 'mirror', image: onDockerHub(MIRRORED_POSTGRES_IMAGE) },
  // The CloudNativePG operand of the same PostgreSQL release (ghcr.io, named in full).
  'cloudnative-pg-postgresql': { kind: 'mirror', image: onDockerHub(MIRRORED_CLOUDNATIVE_PG_IMAGE) },
};

const IMAGE_NAMES = Object.values(LOCKED_IMAGE_NAMES) as readonly LockedImageName[];
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

class UsageError extends Error {}

interface Options {
  readonly builder: Builder;
  readonly registry: string | undefined;
  readonly tag: string;
  readonly revision: string | undefined;
  readonly images: readonly LockedImageName[];
  readonly lockPath: string;
  readonly dryRun: boolean;
}

interface PlannedImage {
  readonly name: LockedImageName;
  readonly repository: string;
  /** `<repository>:<tag>`: what is built (or mirrored) and pushed. */
  readonly reference: string;
  readonly source: ImageSource;
}

const USAGE = `usage: npm run images -- [--builder ${BUILDERS.join('|')}] [--registry <host>/<path>] [--tag <tag>] [--only <${IMAGE_NAMES.join('|')}>]... [--lock <file>] [--dry-run]`;

/** True when an executable file called `name` is on PATH. */
function onPath(name: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => {
    if (dir === '') return false;
    try {
      const path = join(dir, name);
      accessSync(path, constants.X_OK);
      return statSync(path).isFile();
    } catch {
      return false;
    }
  });
}

/** Runs a command with its output on ours (or captured); rejects, naming the command, when it fails. */
function run(argv: Argv, capture = false): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const [command, ...args] = argv;
    const child = spawn(command, args, { stdio: ['ignore', capture ? 'pipe' : 'inherit', 'inherit'] });
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', (error) => reject(new Error(`${argv.join(' ')}: ${error.message}`)));
    child.on('close', (code, signal) => {
      if (code === 0) resolvePromise(output);
      else reject(new Error(`${argv.join(' ')} failed (${signal ?? `exit code ${code}`})`));
    });
  });
}

async function gitRevision(format: string[]): Promise<string | undefined> {
  if (!onPath('git')) return undefined;
  try {
    return (await run(['git', '-C', REPO_ROOT, 'rev-parse', ...format, 'HEAD'], true)).trim() || undefined;
  } catch {
    return undefined;
  }
}

async function parseOptions(argv: readonly string[]): Promise<Options> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: {
        builder: { type: 'string' },
        registry: { type: 'string' },
        tag: { type: 'string' },
        only: { type: 'string', multiple: true },
        lock: { type: 'string' },
        'dry-run': { type: 'boolean', default: false },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const builderName = parsed.builder ?? BUILDERS.find(onPath);
  if (builderName === undefined) throw new UsageError(`no container builder on PATH: install ${BUILDERS.join(' or ')}, or name one with --builder`);
  if (!isBuilderName(builderName)) throw new UsageError(`--builder must be one of ${BUILDERS.join(', ')}, got '${builderName}'`);
  if (parsed.registry !== undefined && !isRepository(parsed.registry)) {
    throw new UsageError(`--registry must be <host>/<path> in lower case, without tag or digest (e.g. registry.example.com/natter), got '${parsed.registry}'`);
  }
  for (const name of parsed.only ?? []) {
    if (!(IMAGE_NAMES as readonly string[]).includes(name)) throw new UsageError(`--only must name one of ${IMAGE_NAMES.join(', ')}, got '${name}'`);
  }
  const tag = parsed.tag ?? (await gitRevision(['--short=12']));
  if (tag === undefined) throw new UsageError('no --tag given and no git commit to tag the images with');
  if (!TAG.test(tag)) throw new UsageError(`--tag must be a valid image tag ([A-Za-z0-9_][A-Za-z0-9_.-]{0,127}), got '${tag}'`);
  return {
    builder: BUILDER[builderName],
    registry: parsed.registry,
    tag,
    revision: await gitRevision([]),
    images: parsed.only === undefined ? IMAGE_NAMES : IMAGE_NAMES.filter((name) => parsed.only!.includes(name)),
    lockPath: resolve(parsed.lock ?? IMAGE_LOCK_FILE),
    dryRun: parsed['dry-run'],
  };
}

function plan(options: Options, lock: ImageLock): PlannedImage[] {
  return options.images.map((name) => {
    const source = IMAGE_SOURCES[name];
    const repository = options.registry === undefined ? splitReference(lock[name]).repository : `${options.registry}/${name}`;
    // A mirror keeps the upstream tag, so the registry shows which upstream release it holds.
    const tag = source.kind === 'mirror' ? (/:([^/:@]+)$/.exec(source.image)?.[1] ?? options.tag) : options.tag;
    return { name, repository, reference: `${repository}:${tag}`, source };
  });
}

function producingCommands(image: PlannedImage, options: Options): Argv[] {
  if (image.source.kind === 'mirror') return options.builder.mirror(image.source.image, image.reference);
  return options.builder.build({
    reference: image.reference,
    dockerfile: DOCKERFILE,
    context: REPO_ROOT,
    buildArgs: { SERVICE: image.source.service },
    labels: options.revision === undefined ? {} : { 'org.opencontainers.image.revision': options.revision },
  });
}

async function readLock(path: string): Promise<ImageLock> {
  try {
    return parseImageLock(await readFile(path, 'utf8'), path);
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

async function release(options: Options, lock: ImageLock): Promise<void> {
  const images = plan(options, lock);
  const scratch = await mkdtemp(join(tmpdir(), 'natter-images-'));
  const say = (argv: Argv) => console.log(`$ ${argv.join(' ')}`);
  try {
    // Everything is built before anything is pushed: a failing build leaves the registry as it was.
    for (const image of images) {
      for (const argv of producingCommands(image, options)) {
        say(argv);
        if (!options.dryRun) await run(argv);
      }
    }
    const released: Partial<Record<LockedImageName, string>> = {};
    for (const image of images) {
      const push = options.builder.push(image.reference, join(scratch, `${image.name}.digest`));
      say(push.argv);
      if (push.digest.kind === 'inspect') say(push.digest.argv);
      if (options.dryRun) continue;
      await run(push.argv);
      const output = push.digest.kind === 'inspect' ? await run(push.digest.argv, true) : await readFile(push.digest.path, 'utf8');
      released[image.name] = `${image.repository}@${options.builder.parseDigest(output, image.repository)}`;
    }
    if (options.dryRun) {
      console.log(`dry run: nothing built or pushed, ${options.lockPath} unchanged`);
      return;
    }
    const next = parseImageLock(JSON.stringify({ ...lock, ...released }), 'the new lock');
    const temporary = join(dirname(options.lockPath), `.${Date.now()}.images.lock.json`);
    await writeFile(temporary, serializeImageLock(next));
    await rename(temporary, options.lockPath);
    for (const [name, reference] of Object.entries(released)) console.log(`${name}: ${reference}`);
    console.log(`wrote ${options.lockPath}; now \`npm run synth\` and commit the lock with dist/`);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

export async function main(argv: readonly string[]): Promise<number> {
  let options: Options;
  let lock: ImageLock;
  try {
    options = await parseOptions(argv);
    lock = await readLock(options.lockPath);
  } catch (error) {
    console.error(`${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
    return 2;
  }
  try {
    await release(options, lock);
    return 0;
  } catch (error) {
    // A builder that failed, or answered with no usable digest: the lock is only written after every push.
    console.error(`${error instanceof Error ? error.message : String(error)}\nnothing released: ${options.lockPath} is unchanged`);
    return 1;
  }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then((code) => process.exit(code));
}
