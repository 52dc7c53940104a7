import iconv from 'iconv-lite';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeHtml, detectEncoding } from '../src/preview/index.js';
import { html } from './support/fixture-server.js';
import { startHarness, type Harness } from './support/previewer-harness.js';

const bytes = (...values: number[]): Buffer => Buffer.from(values);

describe('detectEncoding / decodeHtml', () => {
  it('when the header says windows-1252, then 0x80 is the euro sign (not U+0080 as Node 20 TextDecoder gives)', () => {
    const page = Buffer.concat([Buffer.from('<title>Price: 5'), bytes(0x80), Buffer.from('</title>')]);
    expect(decodeHtml(page, 'text/html; charset=windows-1252')).toBe('<title>Price: 5€</title>');
  });

  it('when the header says ISO-8859-1, then it is decoded as windows-1252 like browsers do', () => {
    const page = Buffer.concat([Buffer.from('caf'), bytes(0xe9), Buffer.from(' '), bytes(0x80, 0x93, 0x94)]);
    expect(decodeHtml(page, 'text/html; charset=ISO-8859-1')).toBe('café €“”');
  });

  it('when only a <meta charset> declares Shift_JIS, then it is used', () => {
    const page = Buffer.concat([Buffer.from('<meta charset="Shift_JIS"><title>'), iconv.encode('日本語のページ', 'shift_jis'), Buffer.from('</title>')]);
    expect(decodeHtml(page, 'text/html')).toContain('日本語のページ');
  });

  it('when only a http-equiv meta declares the charset, then it is used', () => {
    const page = Buffer.concat([Buffer.from('<meta http-equiv="Content-Type" content="text/html; charset=koi8-r"><title>'), iconv.encode('Привет', 'koi8-r')]);
    expect(detectEncoding(page, undefined)).toBe('koi8-r');
    expect(decodeHtml(page, undefined)).toContain('Привет');
  });

  it('when header and meta disagree, then the header wins', () => {
    const page = Buffer.concat([Buffer.from('<meta charset="shift_jis">'), bytes(0xe9)]);
    expect(detectEncoding(page, 'text/html; charset=iso-8859-1')).toBe('windows-1252');
  });

  it('when a byte-order mark is present, then it wins over the header and is stripped', () => {
    const page = Buffer.concat([bytes(0xef, 0xbb, 0xbf), Buffer.from('<title>Zürich</title>')]);
    expect(decodeHtml(page, 'text/html; charset=windows-1252')).toBe('<title>Zürich</title>');
  });

  it.each(['text/html; charset=bogus-charset', 'text/html; charset=', 'text/html; charset="x-unknown"'])(
    'when the header charset is unusable (%s), then the meta or UTF-8 is used',
    (contentType) => {
      expect(detectEncoding(Buffer.from('<title>ü</title>'), contentType)).toBe('utf-8');
      expect(detectEncoding(Buffer.from('<meta charset="windows-1251">'), contentType)).toBe('windows-1251');
    },
  );

  it('when a meta claims UTF-16 (impossible in an ASCII-readable meta), then UTF-8 is used', () => {
    expect(detectEncoding(Buffer.from('<meta charset="utf-16">'), 'text/html')).toBe('utf-8');
  });

  it('when nothing is declared, then UTF-8 is used and invalid bytes become U+FFFD instead of failing', () => {
    expect(decodeHtml(bytes(0x41, 0xff, 0x42), undefined)).toBe('A\uFFFDB');
  });
});

describe('non-UTF-8 pages end to end', () => {
  let harness: Harness | undefined;
  afterEach(async () => {
    await harness?.close();
    harness = undefined;
  });

  it('when a windows-1252 page is served, then title and description decode correctly', async () => {
    const page = iconv.encode('<head><title>Caf\u00e9 \u20ac5 \u201cdeal\u201d</title><meta name="description" content="Ma\u00f1ana"></head>', 'windows-1252');
    harness = await startHarness(html(page, 'text/html; charset=windows-1252'));
    expect(await harness.previewer.preview(`${harness.fixture.origin}/`)).toMatchObject({
      title: 'Café €5 “deal”',
      description: 'Mañana',
    });
  });

  it('when a Shift_JIS page declares its charset only in a meta, then it decodes correctly', async () => {
    const page = iconv.encode('<head><meta charset="shift_jis"><meta property="og:title" content="東京の天気"></head>', 'shift_jis');
    harness = await startHarness(html(page, 'text/html'));
    expect((await harness.previewer.preview(`${harness.fixture.origin}/`)).title).toBe('東京の天気');
  });
});
