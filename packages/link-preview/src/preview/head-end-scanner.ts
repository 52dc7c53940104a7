type Mode = 'markup' | 'script' | 'style' | 'comment';

/**
 * In markup: the openers of raw-text content to skip, and the two ends of the head — `</head` or
 * `<body` (`</head>` is optional in HTML and often omitted by minifiers).
 */
const IN_MARKUP = /<!--|<(script|style)[\s/>]|<\/head[\s/>]|<body[\s/>]/gi;
const CLOSERS: Readonly<Record<Exclude<Mode, 'markup'>, RegExp>> = {
  script: /<\/script[\s/>]/gi,
  style: /<\/style[\s/>]/gi,
  comment: /-->/g,
};
/** One less than the longest token (`</script>`), so a token split across chunks is still seen. */
const CARRY = '</script>'.length - 1;
/**
 * Bytes turned into text at a time: a socket read is 64 KiB, but heads are often much shorter, and
 * what follows the end of the head is never converted.
 */
const WINDOW_BYTES = 16 * 1024;

/**
 * Finds where the HTML head ends in a stream of decoded bytes, chunk by chunk, without buffering
 * the document. Tokens inside scripts, styles and comments do not count, so a `"</head>"` in a
 * script string does not cut the head short. Bytes are read as latin1: every encoding a page may
 * be served in here spells these ASCII tokens the same way.
 */
export class HeadEndScanner {
  private mode: Mode = 'markup';
  private carry = '';
  /** Stream offset of the first character of `carry`. */
  private carryOffset = 0;

  /** Scans the next chunk; returns the stream offset where the head ends, or -1 when not yet seen. */
  push(chunk: Buffer): number {
    for (let start = 0; start < chunk.length; start += WINDOW_BYTES) {
      const end = this.scan(chunk.toString('latin1', start, Math.min(start + WINDOW_BYTES, chunk.length)));
      if (end >= 0) return end;
    }
    return -1;
  }

  private scan(next: string): number {
    const text = this.carry + next;
    let position = 0;
    for (;;) {
      const pattern = this.mode === 'markup' ? IN_MARKUP : CLOSERS[this.mode];
      pattern.lastIndex = position;
      const match = pattern.exec(text);
      if (match === null) break;
      if (this.mode !== 'markup') this.mode = 'markup';
      else if (match[0] === '<!--') this.mode = 'comment';
      else if (match[1] !== undefined) this.mode = match[1].toLowerCase() as 'script' | 'style';
      else return this.carryOffset + match.index;
      position = match.index + match[0].length;
    }
    const keepFrom = Math.max(position, text.length - CARRY);
    this.carry = text.slice(keepFrom);
    this.carryOffset += keepFrom;
    return -1;
  }
}
