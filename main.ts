// Synthesizes the Natter system into plain YAML: `npm run synth` (or `npx cdk8s synth`).
// Every natter.<profile>.yaml next to this file is one profile (charts/README.md, "Settings");
// NATTER_PROFILE=<profile> writes that one only, unset writes all (the profile's outputDirectory
// under dist/, Argo CD Applications in dist/argocd/). CDK8S_OUTDIR (set by the cdk8s CLI)
// overrides the output root.
import { mkdirSync, readdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadProfiles, selectProfiles, SettingsError } from './charts/src/profiles.js';
import { summarize, synthesizeAll } from './charts/src/synth.js';

const started = performance.now();
const outputRoot = process.env.CDK8S_OUTDIR ?? 'dist';
const files = (() => {
  try {
    if (process.env.NATTER_MESH_MODE !== undefined) {
      throw new SettingsError('NATTER_MESH_MODE is no longer read: set meshMode in natter.<profile>.yaml, run npm run synth and commit it with dist/');
    }
    return synthesizeAll(selectProfiles(loadProfiles(dirname(fileURLToPath(import.meta.url))), process.env.NATTER_PROFILE), 'dist');
  } catch (error) {
    if (!(error instanceof SettingsError)) throw error;
    console.error(error.message);
    process.exit(2);
  }
})();

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
