/**
 * Command-line parsing for the repository's commands (`npm run dev`, `npm run synth`): node's
 * parseArgs, with every mistake turned into one line that names the option, then the usage, and
 * exit code 2 — never a stack trace.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** A mistake on the command line; `exitOnUsageError` prints it with the usage and exits 2. */
export class UsageError extends Error {
  public override readonly name = 'UsageError';
}

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * Parses `argv` strictly (no positionals, only the listed options). `npmCommand` is how the user
 * ran it (`npm run dev`), to explain the classic slip `npm run dev --port 1`, where npm keeps the
 * option for itself and hands over only its value.
 */
export function parseCommandLine<T extends Options>(argv: readonly string[], options: T, npmCommand: string) {
  try {
    return parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw new UsageError(describeParseError(error, options, npmCommand));
  }
}

function describeParseError(error: unknown, options: Options, npmCommand: string): string {
  const code = (error as { code?: string }).code;
  const message = error instanceof Error ? error.message : String(error);
  const quoted = /'([^']*)'/.exec(message)?.[1] ?? '';
  switch (code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION': {
      const typed = quoted.replace(/^-+/, '');
      const names = Object.keys(options);
      const prefixed = names.filter((name) => name.startsWith(typed) && (typed.length >= 3 || /^-[^-]$/.test(quoted)));
      const candidates = prefixed.length > 0 || /^-[^-]$/.test(quoted) ? prefixed : names.filter((name) => editDistance(typed, name) <= 2);
      const near = candidates.length === 1 ? candidates[0] : undefined;
      return `unknown option '${quoted}'${near ? ` (did you mean --${near}?)` : ''}`;
    }
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE': {
      const option = /--([\w-]+)/.exec(message)?.[1];
      const spec = option === undefined ? undefined : options[option];
      return spec?.type === 'boolean' ? `option '--${option}' takes no value` : `option '--${option ?? quoted}' needs a value`;
    }
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL': {
      const npmKept = Object.keys(options).find((name) => process.env[`npm_config_${name.replace(/-/g, '_')}`] !== undefined);
      const hint = npmKept ? ` (npm kept --${npmKept} for itself: put options after --, as in ${npmCommand} -- --${npmKept} ${quoted})` : '';
      return `unexpected argument '${quoted}'${hint}`;
    }
    default:
      return message.split('\n')[0] ?? message;
  }
}

/** Levenshtein distance: `--prot` is 2 edits from `--port`. */
function editDistance(typed: string, name: string): number {
  const distance: number[][] = Array.from({ length: typed.length + 1 }, (_, i) => Array.from({ length: name.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= typed.length; i += 1) {
    for (let j = 1; j <= name.length; j += 1) {
      const substitution = distance[i - 1]![j - 1]! + (typed[i - 1] === name[j - 1] ? 0 : 1);
      distance[i]![j] = Math.min(distance[i - 1]![j]! + 1, distance[i]![j - 1]! + 1, substitution);
    }
  }
  return distance[typed.length]![name.length]!;
}

/** Prints `<command>: <problem>` and the usage on stderr and exits 2; anything else is rethrown. */
export function exitOnUsageError(error: unknown, command: string, usage: string): never {
  if (!(error instanceof UsageError)) throw error;
  process.stderr.write(`${command}: ${error.message}\n${usage}\n`);
  process.exit(2);
}
