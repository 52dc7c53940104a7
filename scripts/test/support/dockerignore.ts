/**
 * Decides which paths of the repository a `docker build` context contains under a `.dockerignore`,
 * following Docker's rules: patterns are matched against the path and each of its parent
 * directories, `**` spans any number of directories, `!` re-includes, and the last match wins.
 */
export class DockerIgnore {
  private readonly rules: readonly { readonly include: boolean; readonly pattern: RegExp }[];

  constructor(text: string) {
    this.rules = text
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.startsWith('#'))
      .map((line) => {
        const include = line.startsWith('!');
        const glob = (include ? line.slice(1) : line).replace(/^\/+|\/+$/g, '');
        return { include, pattern: globToRegExp(glob) };
      });
  }

  /** Whether `path` (relative to the context root, `/`-separated) is sent to the builder. */
  includes(path: string): boolean {
    const parts = path.split('/');
    const candidates = parts.map((_part, index) => parts.slice(0, index + 1).join('/'));
    let included = true;
    for (const rule of this.rules) {
      if (candidates.some((candidate) => rule.pattern.test(candidate))) included = rule.include;
    }
    return included;
  }
}

function globToRegExp(glob: string): RegExp {
  let source = '';
  for (let index = 0; index < glob.length; index += 1) {
    const char = glob[index]!;
    if (glob.startsWith('**/', index)) {
      source += '(?:.*/)?';
      index += 2;
    } else if (glob.startsWith('**', index)) {
      source += '.*';
      index += 1;
    } else if (char === '*') {
      source += '[^/]*';
    } else if (char === '?') {
      source += '[^/]';
    } else {
      source += char.replace(/[.+^${}()|[\]\\]/g, '\\$&');
    }
  }
  return new RegExp(`^${source}$`);
}
