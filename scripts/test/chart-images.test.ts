import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, posix } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { REPO_ROOT, SERVICES, type ServiceName } from '../bundle.js';
import { IMAGE_SOURCES } from '../images.js';
import { execForm, parseDockerfile, stageEnvironment, type Stage } from './support/dockerfile.js';

/** Image repository → the service the Dockerfile builds it for (the release script's own table). */
const IMAGES: Readonly<Record<string, ServiceName>> = Object.fromEntries(
  Object.entries(IMAGE_SOURCES).flatMap(([image, source]) => (source.kind === 'build' ? [[image, source.service]] : [])),
);

interface Container {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  env?: { name: string; value?: string }[];
  ports?: { containerPort: number }[];
  securityContext?: { runAsUser?: number; runAsGroup?: number; readOnlyRootFilesystem?: boolean };
}

interface PodSpec {
  containers?: Container[];
  initContainers?: Container[];
  securityContext?: { runAsUser?: number; runAsGroup?: number };
}

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return yamlFiles(path);
    return /\.ya?ml$/.test(entry) ? [path] : [];
  });
}

/** Every pod spec in the synthesized manifests, wherever it sits (Deployment, StatefulSet, Job, …). */
function podSpecs(value: unknown, found: { file: string; spec: PodSpec }[], file: string): void {
  if (Array.isArray(value)) {
    for (const item of value) podSpecs(item, found, file);
  } else if (typeof value === 'object' && value !== null) {
    const record = value as Record<string, unknown>;
    if (Array.isArray(record['containers'])) found.push({ file, spec: record as PodSpec });
    for (const child of Object.values(record)) podSpecs(child, found, file);
  }
}

const runtimeStages = new Map<ServiceName, Stage>(
  (Object.keys(SERVICES) as ServiceName[]).map((service) => [
    service,
    parseDockerfile(readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8'), { SERVICE: service }).stages.at(-1)!,
  ]),
);

const uses = (() => {
  const specs: { file: string; spec: PodSpec }[] = [];
  for (const file of yamlFiles(join(REPO_ROOT, 'dist'))) {
    for (const document of parseAllDocuments(readFileSync(file, 'utf8'))) podSpecs(document.toJS(), specs, file);
  }
  return specs.flatMap(({ file, spec }) =>
    [...(spec.initContainers ?? []), ...(spec.containers ?? [])].flatMap((container) => {
      const repository = container.image.replace(/@sha256:.*$/, '').replace(/:[^/]*$/, '').split('/').at(-1)!;
      const service = IMAGES[repository];
      return service === undefined ? [] : [{ where: `${file.slice(REPO_ROOT.length + 1)} ${container.name}`, service, container, pod: spec }];
    }),
  );
})();

describe('the images as the chart runs them (dist/)', () => {
  it('finds our images in the synthesized manifests', () => {
    expect(new Set(uses.map((use) => use.service))).toEqual(new Set(Object.keys(SERVICES)));
  });

  it.each(uses.map((use) => [use.where, use] as const))('%s runs a file the image contains, with a node the image can find', (_where, use) => {
    const runtime = runtimeStages.get(use.service)!;
    const entrypoint = execForm(runtime.instructions.find((instruction) => instruction.keyword === 'ENTRYPOINT')!.args)!;
    const argv = use.container.command ?? [...entrypoint, ...(use.container.args ?? [])];
    const [executable = '', script = ''] = argv;
    const path = (stageEnvironment(runtime).get('PATH') ?? '').split(':');
    const resolved = executable.startsWith('/') ? executable : path.map((dir) => posix.join(dir, executable)).find((candidate) => candidate === '/nodejs/bin/node');
    expect(resolved, `${executable} must resolve to /nodejs/bin/node on PATH ${path.join(':')}`).toBe('/nodejs/bin/node');
    const shipped = Object.keys(SERVICES[use.service]).map((name) => `/app/${name}.mjs`);
    expect(shipped).toContain(script);
  });

  it.each(uses.map((use) => [use.where, use] as const))('%s runs as the image user, read-only, on the port the image exposes', (_where, use) => {
    const runtime = runtimeStages.get(use.service)!;
    const [uid, gid] = runtime.instructions.filter((instruction) => instruction.keyword === 'USER').at(-1)!.args.split(':').map(Number);
    const security = { ...use.pod.securityContext, ...use.container.securityContext };
    expect(security.runAsUser).toBe(uid);
    expect(security.runAsGroup).toBe(gid);
    expect(use.container.securityContext?.readOnlyRootFilesystem).toBe(true);
    const exposed = runtime.instructions.filter((instruction) => instruction.keyword === 'EXPOSE').map((instruction) => Number(instruction.args));
    for (const port of use.container.ports ?? []) expect(exposed).toContain(port.containerPort);
    const portVariable = use.container.env?.find((variable) => variable.name === 'PORT')?.value;
    if (portVariable !== undefined) expect(exposed).toContain(Number(portVariable));
  });
});
