import type { ContenderInfo } from './contender.js';

/** Every contender, in table order. Each runs in its own process per cell. */
export const CONTENDERS: readonly ContenderInfo[] = [
  { id: 'core', label: 'link-preview core', kind: 'core', load: () => import('./core.js') },
  { id: 'undici-head-only', label: 'floor: undici + head-only parse', kind: 'floor', load: () => import('./undici-head-only.js') },
  { id: 'got-full-parse', label: 'got + full node-html-parser', kind: 'reference', load: () => import('./got-full-parse.js') },
  { id: 'unfurl', label: 'unfurl.js', kind: 'library', load: () => import('./unfurl.js') },
  { id: 'metascraper-got', label: 'metascraper + got', kind: 'library', load: () => import('./metascraper-got.js') },
  { id: 'open-graph-scraper', label: 'open-graph-scraper', kind: 'library', load: () => import('./open-graph-scraper.js') },
];

export function contenderById(id: string): ContenderInfo {
  const found = CONTENDERS.find((contender) => contender.id === id);
  if (!found) throw new Error(`unknown contender "${id}"; known: ${CONTENDERS.map((c) => c.id).join(', ')}`);
  return found;
}
