import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The fixture pages, copied from /work/shared/bench/pages so every run measures the same bytes. */
export const PAGES_DIR = fileURLToPath(new URL('./pages/', import.meta.url));

export interface ExpectedPreview {
  readonly title: string;
  readonly description: string;
  readonly image: string;
}

export interface BenchPage {
  /** Stable id used in results and on the command line. */
  readonly id: 'article' | 'article-gzip' | 'huge';
  readonly label: string;
  /** Path on the fixture server. */
  readonly path: string;
  /** File under PAGES_DIR. */
  readonly file: string;
  readonly gzip: boolean;
  /** Key in expected.json. */
  readonly expectedKey: 'article' | 'huge';
}

export const PAGES: readonly BenchPage[] = [
  { id: 'article', label: '120 KB', path: '/article.html', file: 'article.html', gzip: false, expectedKey: 'article' },
  { id: 'article-gzip', label: '120 KB gzip', path: '/article.gz.html', file: 'article.html', gzip: true, expectedKey: 'article' },
  { id: 'huge', label: '2 MB', path: '/huge.html', file: 'huge.html', gzip: false, expectedKey: 'huge' },
];

export function loadExpected(): Record<BenchPage['expectedKey'], ExpectedPreview> {
  return JSON.parse(readFileSync(`${PAGES_DIR}expected.json`, 'utf8')) as Record<BenchPage['expectedKey'], ExpectedPreview>;
}
