/**
 * The Node.js major line the images run, read from the Dockerfile's runtime image (distroless
 * `nodejs<major>`), the one place it is set. CI runs the whole test suite on that line as well as
 * on the development Node (.ci/run):
 *
 *   node --import tsx scripts/image-runtime.ts     prints e.g. 24
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { REPO_ROOT } from './bundle.js';

export const DOCKERFILE = join(REPO_ROOT, 'Dockerfile');

const RUNTIME_IMAGE_ARG = /^ARG RUNTIME_IMAGE=gcr\.io\/distroless\/nodejs(\d+)-/m;

export function imageNodeMajor(dockerfile: string = readFileSync(DOCKERFILE, 'utf8')): number {
  const match = RUNTIME_IMAGE_ARG.exec(dockerfile);
  if (match === null) throw new Error('the Dockerfile has no `ARG RUNTIME_IMAGE=gcr.io/distroless/nodejs<major>-…` line');
  return Number(match[1]);
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  console.log(imageNodeMajor());
}
