import { afterEach, describe, expect, it } from 'vitest';
import { parseCommandLine, UsageError } from '../lib/command-line.js';

const OPTIONS = { port: { type: 'string' }, 'host-name': { type: 'string', multiple: true }, help: { type: 'boolean' } } as const;

function mistake(argv: string[]): string {
  try {
    parseCommandLine(argv, OPTIONS, 'npm run dev');
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return (error as Error).message;
  }
  throw new Error(`expected ${argv.join(' ')} to be refused`);
}

afterEach(() => {
  delete process.env['npm_config_port'];
});

describe('parseCommandLine', () => {
  it('when the options are right, then it returns their values', () => {
    expect(parseCommandLine(['--port', '30567', '--host-name', 'a.test', '--host-name', 'b.test'], OPTIONS, 'npm run dev')).toEqual({ port: '30567', 'host-name': ['a.test', 'b.test'] });
  });

  it('when an option is unknown, then one line names it and suggests the near one', () => {
    expect(mistake(['--prot', '1234'])).toBe("unknown option '--prot' (did you mean --port?)");
    expect(mistake(['-p', '5000'])).toBe("unknown option '-p' (did you mean --port?)");
    expect(mistake(['--host', 'x'])).toBe("unknown option '--host' (did you mean --host-name?)");
    expect(mistake(['--verbose'])).toBe("unknown option '--verbose'");
  });

  it('when a value is missing or given to a flag, then it says which', () => {
    expect(mistake(['--port'])).toBe("option '--port' needs a value");
    expect(mistake(['--help=yes'])).toBe("option '--help' takes no value");
  });

  it('when npm kept an option for itself (npm run dev --port 1), then it explains the -- separator', () => {
    expect(mistake(['30568'])).toBe("unexpected argument '30568'");
    process.env['npm_config_port'] = '30568';
    expect(mistake(['30568'])).toBe("unexpected argument '30568' (npm kept --port for itself: put options after --, as in npm run dev -- --port 30568)");
  });
});
