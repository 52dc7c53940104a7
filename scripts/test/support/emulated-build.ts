/**
 * Runs a Dockerfile's build stage without a Docker engine: every COPY takes its files from the
 * repository as the `.dockerignore` filters the build context, every RUN runs in a shell, with the
 * stage's absolute paths (/workspace, /out, …) mapped under a temporary root. What the real build
 * would miss — a file outside the context, a manifest not copied before the install, a lockfile
 * that does not match — fails here the same way.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { cp, mkdir, readdir, stat } from 'node:fs/promises';
import { dirname, join, posix } from 'node:path';
import { copyParts, type Stage } from './dockerfile.js';
import type { DockerIgnore } from './dockerignore.js';

export interface EmulatedBuild {
  /** Maps a path of the stage's filesystem (e.g. `/out/server.mjs`) to where it was built here. */
  pathOf(containerPath: string): string;
}

async function filesUnder(root: string, relative: string): Promise<string[]> {
  const info = await stat(join(root, relative));
  if (!info.isDirectory()) return [relative];
  const entries = await readdir(join(root, relative));
  return (await Promise.all(entries.map((entry) => filesUnder(root, posix.join(relative, entry))))).flat();
}

async function run(command: string, cwd: string, log: (line: string) => void): Promise<void> {
  // Offline: npx and pnpm take everything from their caches and never reach past loopback; a
  // package missing from the store fails the build instead of being downloaded.
  const env = { ...process.env, npm_config_offline: 'true' };
  const child = spawn('sh', ['-c', command], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  log(output);
  if (code !== 0) throw new Error(`RUN ${command} failed with exit code ${code}:\n${output}`);
}

export async function emulateBuildStage(
  stage: Stage,
  options: { contextRoot: string; context: DockerIgnore; root: string; log?: (line: string) => void },
): Promise<EmulatedBuild> {
  const pathOf = (containerPath: string) => join(options.root, containerPath);
  let workdir = '/';
  for (const instruction of stage.instructions) {
    if (instruction.keyword === 'WORKDIR') {
      workdir = posix.resolve(workdir, instruction.args);
      await mkdir(pathOf(workdir), { recursive: true });
    } else if (instruction.keyword === 'COPY') {
      const { sources, destination } = copyParts(instruction.args);
      const target = posix.resolve(workdir, destination);
      for (const source of sources) {
        const files = (await filesUnder(options.contextRoot, source)).filter((file) => options.context.includes(file));
        if (files.length === 0) throw new Error(`line ${instruction.line}: COPY ${source} matches nothing in the build context`);
        for (const file of files) {
          // Docker copies a directory's contents into the destination; a file into it when it ends in /.
          const relative = file === source ? posix.basename(file) : posix.relative(source, file);
          const into = destination.endsWith('/') || file !== source ? posix.join(target, relative) : target;
          await mkdir(dirname(pathOf(into)), { recursive: true });
          await cp(join(options.contextRoot, file), pathOf(into));
        }
      }
    } else if (instruction.keyword === 'RUN') {
      // Absolute paths in the command refer to the stage's filesystem.
      const command = instruction.args.replace(/(^|\s)\/(?=\w)/g, `$1${options.root}/`);
      // A RUN before any WORKDIR or COPY runs in the stage's (still empty) root.
      await mkdir(pathOf(workdir), { recursive: true });
      await run(command, pathOf(workdir), options.log ?? (() => undefined));
    }
  }
  return { pathOf };
}
