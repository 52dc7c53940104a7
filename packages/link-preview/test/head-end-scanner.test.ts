import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { HeadEndScanner } from '../src/preview/head-end-scanner.js';

/** Feeds `html` in chunks of `size` bytes; returns the reported end-of-head offset or -1. */
function scan(html: string | Buffer, size = Number.MAX_SAFE_INTEGER): number {
  const bytes = Buffer.isBuffer(html) ? html : Buffer.from(html, 'latin1');
  const scanner = new HeadEndScanner();
  for (let offset = 0; offset < bytes.length; offset += size) {
    const end = scanner.push(bytes.subarray(offset, offset + size));
    if (end >= 0) return end;
  }
  return -1;
}

describe('HeadEndScanner', () => {
  it.each([
    ['<head><title>t</title></head><body>', '</head>'],
    ['<HEAD><TITLE>t</TITLE></HEAD >', '</HEAD >'],
    ['<head><title>t</title><body class="x">', '<body class'],
    ['<title>t</title><body>', '<body>'],
    ['<head><script>var s = "</head>";</script><style>p::after{content:"<body>"}</style></head>', '</head>'],
    ['<head><!-- <body> </head> --><title>t</title></head>', '</head>'],
    ['<head><script type="module">document.write("<body>")</SCRIPT ></head>', '</head>'],
    ['<head><header-like></header-like><bodyguard></bodyguard></head>', '</head>'],
  ])('when the document is %s, then the head ends at the real %s', (html, marker) => {
    expect(scan(html)).toBe(html.lastIndexOf(marker));
  });

  it.each(['<head><title>no end', '<head><script>"</head>"', '<head><!-- </head>'])('when there is no end in %s, then -1', (html) => {
    expect(scan(html)).toBe(-1);
  });

  it('when the stream arrives byte by byte or in odd chunks, then the offset is the same as in one piece', () => {
    const page = readFileSync('/work/shared/bench/pages/article.html');
    const whole = scan(page);
    expect(whole).toBe(page.indexOf('</head>'));
    for (const size of [1, 2, 3, 7, 8, 9, 10, 4096, 65_536]) expect(scan(page, size)).toBe(whole);
    const tricky = '<head><script>x="</head>"</script><!-- <body> --></head>';
    for (const size of [1, 2, 5, 8, 9]) expect(scan(tricky, size)).toBe(tricky.lastIndexOf('</head>'));
  });

  it('when a token straddles the 16 KiB steps in which one chunk is read, then it is still found', () => {
    for (const at of [16_380, 16_381, 16_384, 32_765]) {
      const html = `<head>${'x'.repeat(at - '<head>'.length)}</head><body>`;
      expect(scan(html), `at ${at}`).toBe(at);
      expect(scan(`<head><script>${'x'.repeat(at - 14)}</script></head>`), `script end at ${at}`).toBe(at + '</script>'.length);
    }
  });
});
