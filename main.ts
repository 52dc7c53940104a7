// Synthesizes the Natter system into plain YAML: `npm run synth` (or `npx cdk8s synth`).
// NATTER_PROFILE=dev|prod writes one profile; unset writes all (dev -> dist/, prod -> dist/prod/,
// Argo CD Applications -> dist/argocd/). NATTER_MESH_MODE=linkerd-cni|linkerd-init overrides the
// mesh mode. CDK8S_OUTDIR (set by the cdk8s CLI) overrides the output root.
import { mkdirSync, readdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { selectProfiles } from './charts/src/profiles.js';
import { summarize, synthesizeAll } from './charts/src/synth.js';

const started = performance.now();
const outputRoot = process.env.CDK8S_OUTDIR ?? 'dist';
const files = synthesizeAll(selectProfiles(process.env), 'dist');

// A full synthesis removes stale *.k8s.yaml files in the directories it writes, so a renamed
// file cannot linger; a single-profile run leaves the other profile's files alone.
const written = new Set(files.map((file) => join(outputRoot, file.path)));
const ownsEveryFile = process.env.NATTER_PROFILE === undefined;
for (const directory of ownsEveryFile ? new Set([...written].map((path) => dirname(path))) : []) {
  if (!existsSync(directory)) continue;
  for (const entry of readdirSync(directory)) {
    const path = join(directory, entry);
    if (entry.endsWith('.k8s.yaml') && !written.has(path)) rmSync(path);
  }
}
for (const file of files) {
  const path = join(outputRoot, file.path);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, file.content);
}

for (const line of summarize(files)) console.log(`${outputRoot}/${line}`);
console.log(`synthesized ${files.length} files in ${Math.round(performance.now() - started)} ms`);
