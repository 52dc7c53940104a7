// Synthesizes the Natter system into plain YAML: `npm run synth` (or `npx cdk8s --no-check-upgrade synth`).
// Every natter.<profile>.yaml next to this file is one profile (charts/README.md, "Settings");
// `--profile <profile>` (or NATTER_PROFILE=<profile>) writes that one only, otherwise all: each
// profile's chart into its outputDirectory under dist/, its Argo CD Application into dist/argocd/.
// dist/ is always the directory next to this file; CDK8S_OUTDIR (set by the cdk8s CLI) gets a copy.
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadProfiles, selectProfiles, SettingsError } from './charts/src/profiles.js';
import { OUTPUT_ROOT, type RenderedFile, summarize, synthesizeAll } from './charts/src/synth.js';
import { exitOnUsageError, parseCommandLine, UsageError } from './scripts/lib/command-line.js';

const USAGE = 'usage: npm run synth [-- --profile <profile>] [--help]   (every natter.<profile>.yaml unless --profile or NATTER_PROFILE names one)';
const started = performance.now();
const root = dirname(fileURLToPath(import.meta.url));
const requestedProfile = (() => {
  try {
    const options = parseCommandLine(process.argv.slice(2), { profile: { type: 'string' }, help: { type: 'boolean', default: false } }, 'npm run synth');
    if (options.help) {
      console.log(USAGE);
      process.exit(0);
    }
    const fromEnvironment = process.env.NATTER_PROFILE;
    if (options.profile !== undefined && fromEnvironment !== undefined && options.profile !== fromEnvironment) {
      throw new UsageError(`--profile ${options.profile} contradicts NATTER_PROFILE=${fromEnvironment}; give one of them`);
    }
    return options.profile ?? fromEnvironment;
  } catch (error) {
    return exitOnUsageError(error, 'npm run synth', USAGE);
  }
})();

const files = (() => {
  try {
    if (process.env.NATTER_MESH_MODE !== undefined) {
      throw new SettingsError('NATTER_MESH_MODE is no longer read: set meshMode in natter.<profile>.yaml, run npm run synth and commit it with dist/');
    }
    return synthesizeAll(selectProfiles(loadProfiles(root), requestedProfile));
  } catch (error) {
    if (!(error instanceof SettingsError)) throw error;
    console.error(error.message);
    process.exit(2);
  }
})();

const distDirectory = join(root, OUTPUT_ROOT);
// A full synthesis removes stale *.k8s.yaml files in the directories it writes, so a renamed
// file cannot linger; a single-profile run leaves the other profiles' files alone.
write(files, distDirectory, { prune: requestedProfile === undefined });
const cliCopy = process.env.CDK8S_OUTDIR === undefined ? undefined : resolve(process.env.CDK8S_OUTDIR);
if (cliCopy !== undefined && cliCopy !== distDirectory) write(files, cliCopy, { prune: false });

for (const line of summarize(files)) console.log(`${OUTPUT_ROOT}/${line}`);
if (cliCopy !== undefined && cliCopy !== distDirectory) console.log(`copied for the cdk8s CLI into ${relative(process.cwd(), cliCopy) || '.'}/`);
console.log(`synthesized ${files.length} files in ${Math.round(performance.now() - started)} ms`);

function write(rendered: readonly RenderedFile[], directoryRoot: string, options: { prune: boolean }): void {
  const written = new Set(rendered.map((file) => join(directoryRoot, file.path)));
  for (const directory of options.prune ? new Set([...written].map((path) => dirname(path))) : []) {
    if (!existsSync(directory)) continue;
    for (const entry of readdirSync(directory)) {
      const path = join(directory, entry);
      if (entry.endsWith('.k8s.yaml') && !written.has(path)) rmSync(path);
    }
  }
  for (const file of rendered) {
    const path = join(directoryRoot, file.path);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, file.content);
  }
}
