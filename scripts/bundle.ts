/**
 * Bundles a service into self-contained ESM files that plain `node` runs, as the production
 * images do: `server.mjs` for every service, plus `migrate.mjs` for the Natter API.
 *
 *   tsx scripts/bundle.ts <link-preview|natter-api> [--outdir <dir>] [--sbom <file>]
 *
 * --outdir defaults to packages/<service>/build; --sbom also writes the CycloneDX SBOM of what the
 * bundles contain (scripts/sbom.ts), as the image build does.
 *
 * The image copies only these files, so anything the bundle does not contain does not ship:
 * test code, benchmarks and the embedded development database are kept out on purpose, and the
 * build fails if test code is ever pulled in through an import.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build, type Plugin } from 'esbuild';
import { serviceSbom } from './sbom.js';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** What each deployable service ships: entry file (under the package's src/) → output name. */
export const SERVICES = {
  'link-preview': { server: 'src/server.ts' },
  'natter-api': { server: 'src/server.ts', migrate: 'src/migrate.ts' },
} as const satisfies Record<string, Record<string, string>>;

export type ServiceName = keyof typeof SERVICES;

export function isServiceName(name: string): name is ServiceName {
  return Object.hasOwn(SERVICES, name);
}

/**
 * Packages the production bundle replaces with a stub (module → the names importers use): the
 * embedded PGlite database is for development only (its data would live and die with the pod),
 * and its 26 MB of WASM and data files have no place in a production image. Using the stub fails
 * with a message saying what to configure; importing a name not listed here fails the build.
 */
const DEVELOPMENT_ONLY_PACKAGES: Readonly<Record<string, readonly string[]>> = {
  '@electric-sql/pglite': ['PGlite'],
};

/**
 * Optional modules our dependencies probe for behind a guard (`try { require(…) } catch {}`); the
 * lockfile installs none of them for the services, so they stay out and the guard takes its
 * fallback. `pg-native` is pg's native driver; `supports-color` is debug's optional peer, which
 * pnpm's hoisting would otherwise let esbuild pick up from another package's dependencies (the SBOM
 * check in scripts/sbom.ts fails the build on any such undeclared package).
 */
const ABSENT_OPTIONAL_MODULES = ['pg-native', 'supports-color'];

/**
 * ESM output has no `require`, `__filename` or `__dirname`, yet bundled CommonJS dependencies
 * (koa, pino, pg) use them; recreate them from `import.meta.url`.
 */
const COMMONJS_SHIMS = [
  "import { createRequire as __natterCreateRequire } from 'node:module';",
  "import { fileURLToPath as __natterFileURLToPath } from 'node:url';",
  'const require = __natterCreateRequire(import.meta.url);',
  'const __filename = __natterFileURLToPath(import.meta.url);',
  "const __dirname = __natterFileURLToPath(new URL('.', import.meta.url));",
].join('\n');

export interface BundleResult {
  /** Absolute paths of the files written, e.g. `<outdir>/server.mjs`. */
  readonly outputs: readonly string[];
  /** Every source file that went into the bundle, relative to the repository root. */
  readonly inputs: readonly string[];
}

/** Fails the build when a file from a package's `test/` or `bench/` folder would be bundled. */
function refuseTestCode(): Plugin {
  return {
    name: 'refuse-test-code',
    setup(pluginBuild) {
      pluginBuild.onLoad({ filter: /\.[cm]?[jt]s$/ }, (args) => {
        const path = relative(REPO_ROOT, args.path).split(sep).join('/');
        if (/^packages\/[^/]+\/(test|bench)\//.test(path)) {
          return { errors: [{ text: `test or benchmark code must never ship in an image, but ${path} was imported` }] };
        }
        return undefined;
      });
    },
  };
}

/** Replaces development-only packages with a module whose every export throws when used. */
function stubDevelopmentOnlyPackages(): Plugin {
  const escape = (name: string): string => name.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  const filter = new RegExp(`^(?:${Object.keys(DEVELOPMENT_ONLY_PACKAGES).map(escape).join('|')})(?:/.*)?$`);
  return {
    name: 'stub-development-only-packages',
    setup(pluginBuild) {
      pluginBuild.onResolve({ filter }, (args) => ({ path: args.path, namespace: 'development-only' }));
      pluginBuild.onLoad({ filter: /.*/, namespace: 'development-only' }, (args) => {
        const message =
          `${args.path} is a development-only dependency and is not part of this production build: ` +
          'configure a PostgreSQL server (DATABASE_HOST) instead of the embedded database';
        const exports = (DEVELOPMENT_ONLY_PACKAGES[args.path] ?? []).map(
          (name) =>
            `export const ${name} = new Proxy(function ${name}() {}, { construct: unavailable, apply: unavailable, get: unavailable });`,
        );
        return {
          loader: 'js',
          contents: [`function unavailable() { throw new Error(${JSON.stringify(message)}); }`, ...exports].join('\n'),
        };
      });
    },
  };
}

/** Bundles one service into `outDir` and reports what went in and what came out. */
export async function bundleService(service: ServiceName, outDir: string): Promise<BundleResult> {
  const packageDir = join(REPO_ROOT, 'packages', service);
  const entryPoints = Object.entries(SERVICES[service]).map(([out, entry]) => ({ out, in: join(packageDir, entry) }));
  await mkdir(outDir, { recursive: true });
  const result = await build({
    entryPoints,
    outdir: outDir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    splitting: false,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    banner: { js: COMMONJS_SHIMS },
    external: ABSENT_OPTIONAL_MODULES,
    plugins: [refuseTestCode(), stubDevelopmentOnlyPackages()],
    legalComments: 'eof',
    metafile: true,
    // Metafile inputs relative to the repository root, wherever the command runs.
    absWorkingDir: REPO_ROOT,
    logLevel: 'warning',
  });
  return {
    outputs: Object.keys(result.metafile.outputs).map((path) => resolve(path)),
    inputs: Object.keys(result.metafile.inputs),
  };
}

function usage(): never {
  console.error(`usage: tsx scripts/bundle.ts <${Object.keys(SERVICES).join('|')}> [--outdir <dir>] [--sbom <file>]`);
  process.exit(2);
}

function parseCommandLine(argv: readonly string[]): { service: ServiceName; outDir: string; sbom: string | undefined } {
  try {
    const { values, positionals } = parseArgs({
      args: [...argv],
      options: { outdir: { type: 'string' }, sbom: { type: 'string' } },
      allowPositionals: true,
      strict: true,
    });
    const [service, ...rest] = positionals;
    if (service === undefined || !isServiceName(service) || rest.length > 0) usage();
    return {
      service,
      outDir: resolve(values.outdir ?? join(REPO_ROOT, 'packages', service, 'build')),
      sbom: values.sbom === undefined ? undefined : resolve(values.sbom),
    };
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    return usage();
  }
}

async function main(argv: readonly string[]): Promise<void> {
  const { service, outDir, sbom } = parseCommandLine(argv);
  const { outputs, inputs } = await bundleService(service, outDir);
  const written = [...outputs];
  if (sbom !== undefined) {
    await mkdir(dirname(sbom), { recursive: true });
    await writeFile(sbom, `${JSON.stringify(serviceSbom({ root: REPO_ROOT, service, bundleInputs: inputs }), null, 2)}\n`);
    written.push(sbom);
  }
  for (const output of written) console.log(`wrote ${relative(process.cwd(), output) || output}`);
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
