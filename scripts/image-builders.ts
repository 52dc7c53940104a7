/**
 * The commands `npm run images` gives a container builder, per builder: what to run to build an
 * image from the Dockerfile, mirror a third-party image, push, and learn the digest the registry
 * now serves. Pure: nothing here runs a process.
 */
export const BUILDERS = ['docker', 'buildah'] as const;
export type BuilderName = (typeof BUILDERS)[number];

export function isBuilderName(name: string): name is BuilderName {
  return (BUILDERS as readonly string[]).includes(name);
}

export type Argv = readonly [string, ...string[]];

/** Where the pushed digest comes from: the output of a command, or a file the push wrote. */
export type DigestSource = { readonly kind: 'inspect'; readonly argv: Argv } | { readonly kind: 'file'; readonly path: string };

export interface BuildRequest {
  /** `<repository>:<tag>` to build into. */
  readonly reference: string;
  readonly dockerfile: string;
  readonly context: string;
  readonly buildArgs: Readonly<Record<string, string>>;
  readonly labels: Readonly<Record<string, string>>;
}

export interface Builder {
  readonly name: BuilderName;
  build(request: BuildRequest): Argv[];
  /** Pulls `source` (fully qualified) and tags it as `reference`, to be pushed like our own images. */
  mirror(source: string, reference: string): Argv[];
  /** The push; `digestFile` is a scratch path the builder may write the pushed digest into. */
  push(reference: string, digestFile: string): { argv: Argv; digest: DigestSource };
  /** The `sha256:…` digest from what `digest` produced (command output, or the file's content). */
  parseDigest(output: string, repository: string): string;
}

const DIGEST = /^sha256:[0-9a-f]{64}$/;

const flags = (flag: string, values: Readonly<Record<string, string>>): string[] =>
  Object.entries(values).flatMap(([key, value]) => [flag, `${key}=${value}`]);

function buildArgv(tool: BuilderName, request: BuildRequest): Argv {
  return [
    tool,
    'build',
    '--file',
    request.dockerfile,
    ...flags('--build-arg', request.buildArgs),
    ...flags('--label', request.labels),
    '--tag',
    request.reference,
    request.context,
  ];
}

function checkedDigest(value: string, what: string): string {
  if (!DIGEST.test(value)) throw new Error(`${what} is not a sha256 digest: ${JSON.stringify(value)}`);
  return value;
}

const docker: Builder = {
  name: 'docker',
  build: (request) => [buildArgv('docker', request)],
  mirror: (source, reference) => [
    ['docker', 'pull', source],
    ['docker', 'tag', source, reference],
  ],
  push: (reference) => ({
    argv: ['docker', 'push', reference],
    // After a push the image's RepoDigests hold `<repository>@<digest>` for that registry.
    digest: { kind: 'inspect', argv: ['docker', 'image', 'inspect', '--format', '{{json .RepoDigests}}', reference] },
  }),
  parseDigest(output, repository) {
    let repoDigests: unknown;
    try {
      repoDigests = JSON.parse(output);
    } catch {
      throw new Error(`docker image inspect printed no RepoDigests list: ${JSON.stringify(output.trim())}`);
    }
    const entry = (Array.isArray(repoDigests) ? repoDigests : []).find((item): item is string => typeof item === 'string' && item.startsWith(`${repository}@`));
    if (entry === undefined) throw new Error(`docker knows no digest of ${repository} after the push (RepoDigests: ${output.trim()})`);
    return checkedDigest(entry.slice(repository.length + 1), `the digest docker reports for ${repository}`);
  },
};

const buildah: Builder = {
  name: 'buildah',
  build: (request) => [buildArgv('buildah', request)],
  mirror: (source, reference) => [
    ['buildah', 'pull', source],
    ['buildah', 'tag', source, reference],
  ],
  push: (reference, digestFile) => ({
    argv: ['buildah', 'push', '--digestfile', digestFile, reference, `docker://${reference}`],
    digest: { kind: 'file', path: digestFile },
  }),
  parseDigest: (output, repository) => checkedDigest(output.trim(), `the digest buildah wrote for ${repository}`),
};

export const BUILDER: Readonly<Record<BuilderName, Builder>> = { docker, buildah };
