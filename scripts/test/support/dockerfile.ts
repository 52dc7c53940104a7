/** A small Dockerfile reader: enough to check our images' invariants without a Docker engine. */

export interface Instruction {
  /** Upper-cased keyword: FROM, RUN, COPY, … */
  readonly keyword: string;
  /** Everything after the keyword, continuation lines joined. */
  readonly args: string;
  /** 1-based line where the instruction starts. */
  readonly line: number;
}

export interface Stage {
  /** The `FROM` argument with global `ARG` defaults substituted. */
  readonly image: string;
  readonly name: string | undefined;
  readonly instructions: readonly Instruction[];
}

export interface Dockerfile {
  /** `ARG`s declared before the first `FROM`, with their values (build argument or default). */
  readonly globalArgs: ReadonlyMap<string, string>;
  readonly stages: readonly Stage[];
}

/** `--build-arg NAME=value` pairs. */
export type BuildArgs = Readonly<Record<string, string>>;

export function parseInstructions(text: string): Instruction[] {
  const instructions: Instruction[] = [];
  let pending: { text: string; line: number } | undefined;
  text.split('\n').forEach((raw, index) => {
    const trimmed = raw.trim();
    if (pending === undefined && (trimmed === '' || trimmed.startsWith('#'))) return;
    if (pending !== undefined && trimmed.startsWith('#')) return;
    const continues = trimmed.endsWith('\\');
    const piece = continues ? trimmed.slice(0, -1) : trimmed;
    pending = pending === undefined ? { text: piece, line: index + 1 } : { ...pending, text: `${pending.text} ${piece}` };
    if (!continues) {
      const match = /^(\S+)\s*(.*)$/s.exec(pending.text);
      if (match) instructions.push({ keyword: match[1]!.toUpperCase(), args: match[2]!.trim(), line: pending.line });
      pending = undefined;
    }
  });
  return instructions;
}

function substitute(value: string, args: ReadonlyMap<string, string>): string {
  return value.replace(/\$\{(\w+)\}|\$(\w+)/g, (whole, braced: string | undefined, bare: string | undefined) => {
    return args.get(braced ?? bare ?? '') ?? whole;
  });
}

/**
 * Parses a Dockerfile as a build with `buildArgs` would see it: global `ARG`s are substituted into
 * `FROM`, and an `ARG` declared inside a stage into that stage's later instructions (RUN included:
 * the shell would expand the variable to the same value).
 */
export function parseDockerfile(text: string, buildArgs: BuildArgs = {}): Dockerfile {
  const globalArgs = new Map<string, string>();
  const stages: { image: string; name: string | undefined; instructions: Instruction[]; args: Map<string, string> }[] = [];
  const declare = (args: Map<string, string>, declaration: string): void => {
    const [key = '', ...value] = declaration.split('=');
    const name = key.trim();
    const fallback = value.length > 0 ? value.join('=').trim() : undefined;
    const resolved = Object.hasOwn(buildArgs, name) ? buildArgs[name] : fallback;
    if (resolved !== undefined) args.set(name, resolved);
  };
  for (const instruction of parseInstructions(text)) {
    const stage = stages.at(-1);
    if (instruction.keyword === 'FROM') {
      const [image = '', as, name] = instruction.args.split(/\s+/).filter((part) => !part.startsWith('--'));
      stages.push({
        image: substitute(image, globalArgs),
        name: as?.toUpperCase() === 'AS' ? name : undefined,
        instructions: [],
        args: new Map(),
      });
    } else if (stage === undefined) {
      if (instruction.keyword === 'ARG') declare(globalArgs, instruction.args);
    } else {
      if (instruction.keyword === 'ARG') declare(stage.args, instruction.args);
      stage.instructions.push({ ...instruction, args: substitute(instruction.args, stage.args) });
    }
  }
  return { globalArgs, stages: stages.map(({ image, name, instructions }) => ({ image, name, instructions })) };
}

/** Splits `COPY [--flags] src… dest` into flags, sources and destination. */
export function copyParts(args: string): { flags: Map<string, string>; sources: string[]; destination: string } {
  const words = args.split(/\s+/);
  const flags = new Map<string, string>();
  while (words[0]?.startsWith('--')) {
    const [key = '', value = ''] = words.shift()!.slice(2).split('=');
    flags.set(key, value);
  }
  const destination = words.pop() ?? '';
  return { flags, sources: words, destination };
}

/** Parses an exec-form instruction argument (`["a", "b"]`); `undefined` for the shell form. */
export function execForm(args: string): string[] | undefined {
  try {
    const parsed: unknown = JSON.parse(args);
    return Array.isArray(parsed) && parsed.every((item) => typeof item === 'string') ? parsed : undefined;
  } catch {
    return undefined;
  }
}

const DIGEST = /@sha256:[0-9a-f]{64}$/;
/** Distroless Node.js without a shell, nonroot variant: `gcr.io/distroless/nodejs24-debian13:nonroot@…`. */
export const DISTROLESS_NODE_NONROOT = /^gcr\.io\/distroless\/nodejs(\d+)-debian(\d+):nonroot@/;

/**
 * The image-hardening rules every service Dockerfile must satisfy; returns the violations found
 * (empty when the file complies), so the rules themselves can be tested against bad examples.
 */
export function imageViolations(dockerfile: Dockerfile): string[] {
  const problems: string[] = [];
  const { stages } = dockerfile;
  if (stages.length < 2) problems.push(`multi-stage build expected, found ${stages.length} stage(s)`);
  for (const stage of stages) {
    if (!DIGEST.test(stage.image)) problems.push(`FROM ${stage.image} is not pinned by sha256 digest`);
    if (/:latest(@|$)/.test(stage.image)) problems.push(`FROM ${stage.image} uses the latest tag`);
    for (const instruction of stage.instructions) {
      if (instruction.keyword === 'ADD') problems.push(`line ${instruction.line}: ADD (use COPY; ADD can fetch URLs)`);
    }
  }
  const runtime = stages.at(-1);
  if (runtime === undefined) return problems;
  if (!DISTROLESS_NODE_NONROOT.test(runtime.image)) {
    problems.push(`runtime stage must be gcr.io/distroless/nodejs<major>-debian<release>:nonroot, got ${runtime.image}`);
  }
  const users = runtime.instructions.filter((instruction) => instruction.keyword === 'USER');
  const user = users.at(-1)?.args;
  const ids = user === undefined ? undefined : /^(\d+):(\d+)$/.exec(user);
  if (ids === undefined || ids === null) {
    problems.push(`runtime USER must be numeric uid:gid, got ${user ?? 'none'}`);
  } else if (Number(ids[1]) < 10001 || Number(ids[2]) < 10001) {
    problems.push(`runtime USER uid and gid must be >= 10001, got ${user}`);
  }
  for (const instruction of runtime.instructions) {
    if (instruction.keyword === 'RUN') problems.push(`line ${instruction.line}: RUN in the runtime stage (it has no shell)`);
    if (instruction.keyword === 'CMD') problems.push(`line ${instruction.line}: CMD in the runtime stage (use ENTRYPOINT)`);
  }
  const entrypoint = runtime.instructions.filter((instruction) => instruction.keyword === 'ENTRYPOINT').at(-1);
  if (entrypoint === undefined || execForm(entrypoint.args) === undefined) {
    problems.push('runtime ENTRYPOINT must exist in exec form (there is no shell)');
  }
  for (const stage of stages) {
    for (const instruction of stage.instructions) {
      if (instruction.keyword === 'ENV' && /\b\w*(KEY|PASSWORD|SECRET|TOKEN)\w*=/i.test(instruction.args)) {
        problems.push(`line ${instruction.line}: secret-looking ENV baked into the image`);
      }
    }
  }
  return problems;
}

/** The environment a stage's ENV instructions set (`KEY=value` pairs, unquoted as ours are). */
export function stageEnvironment(stage: Stage): Map<string, string> {
  const env = new Map<string, string>();
  for (const instruction of stage.instructions.filter((candidate) => candidate.keyword === 'ENV')) {
    for (const pair of instruction.args.split(/\s+/)) {
      const [key = '', ...value] = pair.split('=');
      env.set(key, value.join('='));
    }
  }
  return env;
}
