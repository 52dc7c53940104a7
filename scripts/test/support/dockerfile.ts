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
  /** `ARG`s declared before the first `FROM`, with their defaults. */
  readonly globalArgs: ReadonlyMap<string, string>;
  readonly stages: readonly Stage[];
}

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

export function parseDockerfile(text: string): Dockerfile {
  const globalArgs = new Map<string, string>();
  const stages: { image: string; name: string | undefined; instructions: Instruction[] }[] = [];
  for (const instruction of parseInstructions(text)) {
    if (instruction.keyword === 'FROM') {
      const [image = '', as, name] = instruction.args.split(/\s+/).filter((part) => !part.startsWith('--'));
      stages.push({
        image: substitute(image, globalArgs),
        name: as?.toUpperCase() === 'AS' ? name : undefined,
        instructions: [],
      });
    } else if (stages.length === 0 && instruction.keyword === 'ARG') {
      const [key = '', ...value] = instruction.args.split('=');
      globalArgs.set(key.trim(), value.join('=').trim());
    } else {
      stages.at(-1)?.instructions.push(instruction);
    }
  }
  return { globalArgs, stages };
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
  if (!runtime.image.startsWith('gcr.io/distroless/nodejs20-debian12')) {
    problems.push(`runtime stage must be distroless nodejs20-debian12, got ${runtime.image}`);
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
