/**
 * Renders the services' JSON log lines (pino) for a human at a terminal:
 *   15:04:05.123 api          INFO  listening url=http://127.0.0.1:4567
 * Lines that are not JSON are shown as they are, under the same prefix.
 */
const LEVEL_COLOURS: Readonly<Record<string, number>> = { trace: 90, debug: 36, info: 32, warn: 33, error: 31, fatal: 35 };
const SHOWN_ELSEWHERE = new Set(['level', 'time', 'msg', 'service', 'name', 'pid', 'hostname']);

export interface LineFormatter {
  (service: string, line: string): string;
}

export function createLineFormatter(options: { colour: boolean; width: number }): LineFormatter {
  const paint = (code: number, text: string) => (options.colour ? `\u001b[${code}m${text}\u001b[0m` : text);
  return (service, line) => {
    const prefix = paint(1, service.padEnd(options.width));
    const entry = parseObject(line);
    if (entry === undefined) return `${paint(90, clock(new Date()))} ${prefix} ${line}`;
    const level = typeof entry['level'] === 'string' ? entry['level'] : 'info';
    const time = typeof entry['time'] === 'string' ? new Date(entry['time']) : new Date();
    const fields = Object.entries(entry)
      .filter(([key]) => !SHOWN_ELSEWHERE.has(key))
      .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`);
    const message = [typeof entry['msg'] === 'string' ? entry['msg'] : '', ...fields].filter((part) => part !== '').join(' ');
    return `${paint(90, clock(time))} ${prefix} ${paint(LEVEL_COLOURS[level] ?? 0, level.toUpperCase().padEnd(5))} ${message}`;
  };
}

function parseObject(line: string): Record<string, unknown> | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const parsed: unknown = JSON.parse(line);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function clock(time: Date): string {
  return Number.isNaN(time.getTime()) ? '--:--:--.---' : time.toISOString().slice(11, 23);
}
