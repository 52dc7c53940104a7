import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { extractPreview, MAX_DESCRIPTION_LENGTH, MAX_TITLE_LENGTH } from '../src/preview/index.js';
import { html } from './support/fixture-server.js';
import { startHarness, type Harness } from './support/previewer-harness.js';

const BASE = 'https://example.com/articles/one';

describe('extractPreview', () => {
  it('when Open Graph tags exist, then they win over the plain HTML ones', () => {
    const preview = extractPreview(
      `<head><title>HTML title</title><meta name="description" content="HTML description">
       <meta property="og:title" content="OG title"><meta property="og:description" content="OG description">
       <meta property="og:image" content="https://cdn.example.com/og.png"><meta name="twitter:image" content="https://cdn.example.com/tw.png"></head>`,
      BASE,
    );
    expect(preview).toEqual({ url: BASE, title: 'OG title', description: 'OG description', image: 'https://cdn.example.com/og.png' });
  });

  it('when Open Graph tags are missing, then <title>, meta description and twitter:image are used', () => {
    const preview = extractPreview(
      '<head><title> Plain </title><meta name="Description" content="Plain description"><meta name="twitter:image" content="/tw.png"></head>',
      BASE,
    );
    expect(preview).toEqual({ url: BASE, title: 'Plain', description: 'Plain description', image: 'https://example.com/tw.png' });
  });

  it('when every tag is missing, then the host name is the title and nothing else is set', () => {
    expect(extractPreview('<html><head></head><body><p>hi</p></body></html>', BASE)).toEqual({ url: BASE, title: 'example.com' });
    expect(extractPreview('', BASE)).toEqual({ url: BASE, title: 'example.com' });
  });

  it('when og:image is relative, then it is resolved against the page URL', () => {
    expect(extractPreview('<meta property="og:image" content="../img/a b.png">', BASE).image).toBe('https://example.com/img/a%20b.png');
    expect(extractPreview('<meta property="og:image" content="//cdn.example.com/x.png">', BASE).image).toBe('https://cdn.example.com/x.png');
  });

  it.each(['javascript:alert(1)', 'data:image/png;base64,AAAA', 'file:///etc/passwd', 'http://[bad'])(
    'when og:image is %s, then no image is returned',
    (image) => {
      expect(extractPreview(`<meta property="og:image" content="${image}">`, BASE).image).toBeUndefined();
    },
  );

  it('when values contain entities, then they are decoded once', () => {
    const preview = extractPreview(
      '<title>A &amp; B &lt;tag&gt; &#8364; &eacute;</title><meta property="og:description" content="&quot;Q&quot; &amp;amp; &#x27;s">',
      BASE,
    );
    expect(preview.title).toBe('A & B <tag> € é');
    expect(preview.description).toBe('"Q" &amp; \'s');
  });

  it('when values are long or spaced out, then whitespace collapses and each field is capped', () => {
    const preview = extractPreview(
      `<title>${'word '.repeat(200)}</title><meta name="description" content="${'d\n\t '.repeat(2000)}">`,
      BASE,
    );
    expect(Array.from(preview.title).length).toBeLessThanOrEqual(MAX_TITLE_LENGTH);
    expect(preview.title.endsWith('…')).toBe(true);
    expect(preview.title).not.toMatch(/\s{2,}/);
    expect(Array.from(preview.description ?? '').length).toBeLessThanOrEqual(MAX_DESCRIPTION_LENGTH);
  });

  it('when a cap falls inside an astral character, then no lone surrogate is produced', () => {
    const title = extractPreview(`<title>${'😀'.repeat(400)}</title>`, BASE).title;
    expect(title).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/);
    expect(title.startsWith('😀')).toBe(true);
  });

  it('when scripts contain markup, then it is not mistaken for tags', () => {
    const preview = extractPreview('<head><script>document.write("<title>fake</title><meta property=og:title content=fake>")</script><title>real</title></head>', BASE);
    expect(preview.title).toBe('real');
  });

  it('when tags and attributes are spelled in any case, quoting or order, then they are still read', () => {
    const preview = extractPreview(
      `<HEAD><TITLE>t</TITLE><META CONTENT='single quoted' PROPERTY=OG:TITLE>
       <meta name=description content=unquoted/><meta content="x" property="og:image" content="second ignored"
       ></head>`,
      BASE,
    );
    expect(preview).toEqual({ url: BASE, title: 'single quoted', description: 'unquoted/', image: 'https://example.com/articles/x' });
  });

  it('when a quoted attribute value holds ">" or "<meta", then the tag does not end there', () => {
    const preview = extractPreview(
      '<link href="a>b<meta property=og:title content=fake>"><meta property="og:title" content="real">',
      BASE,
    );
    expect(preview.title).toBe('real');
  });

  it('when the same key appears twice, then the first <meta> and the first <title> win', () => {
    const preview = extractPreview('<title>one</title><title>two</title><meta name="description" content="a"><meta name="description" content="b">', BASE);
    expect(preview).toMatchObject({ title: 'one', description: 'a' });
  });

  it.each([
    ['a comment', '<!-- <meta property="og:title" content="fake"> -->'],
    ['a style', '<style>a::after{content:"<meta property=og:title content=fake>"}</style>'],
    ['a noscript', '<noscript><meta property="og:title" content="fake"></noscript>'],
    ['a template', '<template><meta property="og:title" content="fake"></template>'],
    ['a textarea', '<textarea><meta property="og:title" content="fake"></textarea>'],
    ['a script with a "</title>" and a fake end tag', '<script>"</title></scrip><meta property=og:title content=fake>"</SCRIPT >'],
  ])('when markup sits inside %s, then it is not a tag', (_, wrapper) => {
    expect(extractPreview(`<head>${wrapper}<title>real</title></head>`, BASE).title).toBe('real');
  });

  it('when a comment closes abruptly ("<!-->"), then what follows is markup again', () => {
    expect(extractPreview('<!--><title>after</title>', BASE).title).toBe('after');
    expect(extractPreview('<!---><title>after</title>', BASE).title).toBe('after');
  });

  it('when a comment or a text element never ends, then nothing after its start counts', () => {
    expect(extractPreview('<title>t</title><!-- <meta name="description" content="hidden">', BASE)).toEqual({ url: BASE, title: 't' });
    expect(extractPreview('<script> <meta name="description" content="hidden">', BASE)).toEqual({ url: BASE, title: 'example.com' });
  });

  it('when a title holds markup, then it is text (as in a browser), entities decoded', () => {
    expect(extractPreview('<title>a <b>bold</b> &amp; c</title>', BASE).title).toBe('a <b>bold</b> & c');
  });

  it('when the meta key carries entities or spaces, then it is decoded, trimmed and lower-cased', () => {
    expect(extractPreview('<meta property=" OG&#58;Title " content="x">', BASE).title).toBe('x');
  });

  it('when the image URL is absurdly long, then it is dropped rather than truncated', () => {
    expect(extractPreview(`<meta property="og:image" content="https://e.com/${'a'.repeat(5000)}">`, BASE).image).toBeUndefined();
  });
});

describe('the shared benchmark pages', () => {
  const pagesDir = '/work/shared/bench/pages';
  const expected = JSON.parse(readFileSync(`${pagesDir}/expected.json`, 'utf8')) as Record<string, { title: string; description: string; image: string }>;
  let harness: Harness | undefined;
  afterEach(async () => {
    await harness?.close();
    harness = undefined;
  });

  it.each(Object.keys(expected).flatMap((name) => [[name, 'identity'], [name, 'gzip']]))(
    'when %s.html is served (%s), then the preview matches expected.json',
    async (name, encoding) => {
      const page = readFileSync(`${pagesDir}/${name}.html`);
      harness = await startHarness((request, response) => {
        if (encoding === 'identity') return html(page)(request, response, harness!.fixture);
        response.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-encoding': 'gzip' });
        response.end(gzipSync(page));
      });
      const url = `${harness.fixture.origin}/${name}`;
      expect(await harness.previewer.preview(url)).toEqual({ url, ...expected[name] });
    },
  );
});
