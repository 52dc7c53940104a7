import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { loadProfiles, profileFileName } from '../src/profiles.js';
import { synthesizeAll } from '../src/synth.js';
import { cdk8sCli, npmRunSynth, readTree, runIn, type ScratchRepository, scratchRepository } from './synth-process.js';

const scratches: ScratchRepository[] = [];
function scratch(): string {
  const repository = scratchRepository();
  scratches.push(repository);
  return repository.path;
}
afterEach(() => {
  for (const repository of scratches.splice(0)) repository.remove();
});

/** What every generated file must equal: a fresh in-memory synthesis of the profiles in `directory`. */
function expectedTree(directory: string): Record<string, string> {
  return Object.fromEntries(synthesizeAll(loadProfiles(directory)).map((file) => [file.path, file.content]));
}

describe('npm run synth (main.ts)', { timeout: 120_000 }, () => {
  it('writes every profile into dist/ next to main.ts and prints objects per kind per file', async () => {
    const repository = scratch();
    const { code, stdout } = await npmRunSynth(repository);
    expect(code).toBe(0);
    const expected = expectedTree(repository);
    expect(readTree(join(repository, 'dist'))).toEqual(expected);
    for (const path of Object.keys(expected)) expect(stdout).toMatch(new RegExp(`^dist/${path}: \\d+ objects \\(`, 'm'));
    expect(stdout).toMatch(/Namespace×1, NetworkPolicy×\d+/);
    expect(stdout).toMatch(new RegExp(`synthesized ${Object.keys(expected).length} files in \\d+ ms`));
  });

  it('removes a stale *.k8s.yaml on a full run but keeps the other profiles\' files on a single-profile run', async () => {
    const repository = scratch();
    const profiles = loadProfiles(repository);
    await npmRunSynth(repository);
    writeFileSync(join(repository, 'dist/renamed.k8s.yaml'), 'kind: Stale\n');
    expect((await npmRunSynth(repository, { NATTER_PROFILE: profiles.at(-1)!.name })).code).toBe(0);
    expect(readTree(join(repository, 'dist'))).toEqual({ ...expectedTree(repository), 'renamed.k8s.yaml': 'kind: Stale\n' });
    await npmRunSynth(repository);
    expect(readTree(join(repository, 'dist'))).toEqual(expectedTree(repository));
  });

  it('fails with exit code 2 and one line, no stack trace, for an unknown profile', async () => {
    const repository = scratch();
    const names = loadProfiles(repository).map((profile) => profile.name).join(', ');
    expect(await npmRunSynth(repository, { NATTER_PROFILE: 'no-such-profile' })).toMatchObject({
      code: 2,
      stderr: `no profile 'no-such-profile': the profiles are ${names} (one natter.<profile>.yaml each)\n`,
    });
  });

  it('fails with exit code 2 and the wrong fields, no stack trace, for an invalid profile file, and writes nothing', async () => {
    const repository = scratch();
    const profile = loadProfiles(repository).at(-1)!;
    const file = join(repository, profileFileName(profile.name));
    writeFileSync(file, `${readFileSync(file, 'utf8')}\nlinkPreview:\n  replicas: 0\n  replica: 2\n`);
    expect(await npmRunSynth(repository)).toMatchObject({
      code: 2,
      stdout: '',
      stderr: `${profileFileName(profile.name)}: 2 invalid settings\n  linkPreview.replicas: must be >= 1, got 0\n  linkPreview.replica: unknown setting (check the spelling against charts/src/settings.ts)\n`,
    });
    expect(readTree(join(repository, 'dist'))).toEqual({});
  });

  it('takes the profile from --profile as from NATTER_PROFILE', async () => {
    const [viaOption, viaEnvironment] = [scratch(), scratch()];
    const name = loadProfiles(viaOption).at(-1)!.name;
    expect((await npmRunSynth(viaOption, {}, ['--profile', name])).code).toBe(0);
    expect((await npmRunSynth(viaEnvironment, { NATTER_PROFILE: name })).code).toBe(0);
    expect(Object.keys(readTree(join(viaOption, 'dist'))).length).toBeGreaterThan(0);
    expect(readTree(join(viaOption, 'dist'))).toEqual(readTree(join(viaEnvironment, 'dist')));
  });

  it.each([
    [['--prot', 'x'], "npm run synth: unknown option '--prot'"],
    [['-p', 'prod'], "npm run synth: unknown option '-p' (did you mean --profile?)"],
    [['--profile'], "npm run synth: option '--profile' needs a value"],
    [['prod'], "npm run synth: unexpected argument 'prod'"],
  ])('refuses the command line %j with one line naming the mistake, then the usage, exit code 2', async (args, message) => {
    const repository = scratch();
    const result = await npmRunSynth(repository, {}, args);
    expect(result).toMatchObject({ code: 2, stdout: '' });
    expect(result.stderr.split('\n')).toEqual([message, expect.stringMatching(/^usage: npm run synth \[-- --profile <profile>\]/), '']);
    expect(readTree(join(repository, 'dist'))).toEqual({});
  });

  it('refuses NATTER_MESH_MODE, which is no longer read, pointing at the profile file instead', async () => {
    const result = await npmRunSynth(scratch(), { NATTER_MESH_MODE: 'linkerd-init' });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^NATTER_MESH_MODE is no longer read: set meshMode in natter\.<profile>\.yaml.*\n$/);
  });
});

describe('npx cdk8s --no-check-upgrade synth', { timeout: 180_000 }, () => {
  it('writes exactly what npm run synth writes, and hands the CLI a copy in cdk8s.out/', async () => {
    const [viaNpm, viaCli] = [scratch(), scratch()];
    await npmRunSynth(viaNpm);
    const cli = await cdk8sCli(viaCli, ['--no-check-upgrade', 'synth']);
    expect(cli.code, cli.stderr).toBe(0);
    expect(readTree(join(viaCli, 'dist'))).toEqual(readTree(join(viaNpm, 'dist')));
    expect(readTree(join(viaCli, 'cdk8s.out'))).toEqual(readTree(join(viaNpm, 'dist')));
  });

  it('with NATTER_PROFILE, writes exactly what npm run synth writes and leaves the other profiles\' files alone', async () => {
    const [viaNpm, viaCli] = [scratch(), scratch()];
    const profile = loadProfiles(viaNpm).at(-1)!;
    for (const repository of [viaNpm, viaCli]) {
      await npmRunSynth(repository);
      // A change to that profile only, so the single-profile run has something to write.
      writeFileSync(join(repository, profileFileName(profile.name)), `${readFileSync(join(repository, profileFileName(profile.name)), 'utf8')}\nlogLevel: warn\n`);
    }
    const before = readTree(join(viaCli, 'dist'));
    await npmRunSynth(viaNpm, { NATTER_PROFILE: profile.name });
    const cli = await cdk8sCli(viaCli, ['--no-check-upgrade', 'synth'], { NATTER_PROFILE: profile.name });
    expect(cli.code, cli.stderr).toBe(0);
    const after = readTree(join(viaCli, 'dist'));
    expect(after).toEqual(readTree(join(viaNpm, 'dist')));
    expect(after).toEqual(expectedTree(viaCli));
    const changed = Object.keys(after).filter((path) => after[path] !== before[path]);
    expect(changed.length).toBeGreaterThan(0);
    expect(Object.keys(after).sort()).toEqual(Object.keys(before).sort());
  });

  it('contacts no registry (no upgrade check), proven by recording every outbound connection of the CLI and its children', async () => {
    const home = mkdtempSync(join(tmpdir(), 'natter-home-'));
    try {
      const log = join(home, 'network.log');
      writeFileSync(log, '');
      // HOME without the CLI's version cache, so an upgrade check would have to ask the registry.
      const env = { HOME: home, NATTER_NETWORK_LOG: log, NODE_OPTIONS: `--import=${fileURLToPath(new URL('record-network.mjs', import.meta.url))}` };
      // The recorder works: a connection attempt (to loopback) is logged and refused.
      const probe = await runIn(home, process.execPath, ['-e', "require('node:http').get('http://127.0.0.1:9/').on('error', () => {})"], env);
      expect(probe.code).toBe(0);
      expect(readFileSync(log, 'utf8')).toBe('connect 127.0.0.1:9\n');
      writeFileSync(log, '');

      const cli = await cdk8sCli(scratch(), ['--no-check-upgrade', 'synth'], env);
      expect(cli.code, cli.stderr).toBe(0);
      expect(readFileSync(log, 'utf8')).toBe('');
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
