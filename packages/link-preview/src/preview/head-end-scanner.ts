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
    const text = this.carry + chunk.toString('latin1');
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
