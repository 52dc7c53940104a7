import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { loadProfiles } from '../src/profiles.js';
import { synthesizeAll } from '../src/synth.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const PROFILES = loadProfiles(ROOT);
const run = promisify(execFile);
const directories: string[] = [];

/** Runs `tsx main.ts` into `outdir`, for all profiles or the one named. */
async function synth(outdir: string, profile?: string, extraEnv: NodeJS.ProcessEnv = {}): Promise<string> {
  const env: NodeJS.ProcessEnv = { ...process.env, CDK8S_OUTDIR: outdir };
  delete env.NATTER_PROFILE;
  delete env.NATTER_MESH_MODE;
  if (profile !== undefined) env.NATTER_PROFILE = profile;
  const { stdout } = await run(process.execPath, ['--import', 'tsx', 'main.ts'], { cwd: ROOT, env: { ...env, ...extraEnv } });
  return stdout;
}

function freshDirectory(): string {
  const directory = mkdtempSync(join(tmpdir(), 'natter-synth-'));
  directories.push(directory);
  return directory;
}

afterEach(() => {
  for (const directory of directories.splice(0)) rmSync(directory, { recursive: true, force: true });
});

describe('main.ts (npm run synth)', { timeout: 60_000 }, () => {
  it('writes every file into CDK8S_OUTDIR and prints objects per kind per file', async () => {
    const outdir = freshDirectory();
    const stdout = await synth(outdir);
    const files = synthesizeAll(PROFILES);
    for (const file of files) {
      expect(readFileSync(join(outdir, file.path), 'utf8'), file.path).toBe(file.content);
      expect(stdout).toContain(`${outdir}/${file.path}: ${file.objects.length} objects (`);
    }
    expect(stdout).toMatch(/Namespace×1, NetworkPolicy×\d+/);
    expect(stdout).toMatch(new RegExp(`synthesized ${files.length} files in \\d+ ms`));
  });

  it('removes a stale *.k8s.yaml on a full run but keeps the other profile on a single-profile run', async () => {
    const outdir = freshDirectory();
    await synth(outdir);
    writeFileSync(join(outdir, 'renamed.k8s.yaml'), 'kind: Stale\n');
    const [first, last] = [PROFILES[0]!, PROFILES.at(-1)!];
    await synth(outdir, last.name);
    expect(existsSync(join(outdir, `argocd/natter-${first.name}.k8s.yaml`))).toBe(true);
    expect(existsSync(join(outdir, 'renamed.k8s.yaml'))).toBe(true);
    await synth(outdir);
    expect(existsSync(join(outdir, 'renamed.k8s.yaml'))).toBe(false);
  });

  it('fails with exit code 2 and one message, no stack trace, for an unknown profile', async () => {
    const failure = await synth(freshDirectory(), 'no-such-profile').catch((error: { code: number; stderr: string }) => error);
    expect(failure).toMatchObject({ code: 2, stderr: `no profile 'no-such-profile': the profiles are ${PROFILES.map((profile) => profile.name).join(', ')} (one natter.<profile>.yaml each)\n` });
  });

  it('refuses NATTER_MESH_MODE, which is no longer read, pointing at the profile file instead', async () => {
    const failure = await synth(freshDirectory(), undefined, { NATTER_MESH_MODE: 'linkerd-init' }).catch((error: { code: number; stderr: string }) => error);
    expect(failure).toMatchObject({ code: 2, stderr: expect.stringMatching(/^NATTER_MESH_MODE is no longer read: set meshMode in natter\.<profile>\.yaml/) });
  });
});
