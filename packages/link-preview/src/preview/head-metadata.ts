import { decodeHTML, decodeHTMLAttribute } from 'entities';

/** What a preview needs from a document: its `<meta>` values and its title, entities decoded. */
export interface HeadMetadata {
  /**
   * `content` of the first `<meta>` for each key: its `property` attribute when it has one, else its
   * `name`, trimmed and lower-cased (`og:title`, `description`, …).
   */
  readonly meta: ReadonlyMap<string, string>;
  /** Text of the first `<title>`, when there is one. */
  readonly title?: string;
}

const LT = 0x3c;
const GT = 0x3e;
const SLASH = 0x2f;
const EQUALS = 0x3d;
const BANG = 0x21;
const QUESTION = 0x3f;
const DOUBLE_QUOTE = 0x22;
const SINGLE_QUOTE = 0x27;

const isSpace = (code: number): boolean => code === 0x20 || code === 0x0a || code === 0x09 || code === 0x0c || code === 0x0d;
const isLetter = (code: number): boolean => (code | 0x20) >= 0x61 && (code | 0x20) <= 0x7a;

/**
 * Elements whose content is text, not markup (the HTML spec's raw-text and RCDATA elements, plus
 * `noscript` and `template`, whose content a preview never looks at): a `<meta>` inside them is
 * not a tag. Each maps to the end tag that closes it.
 */
const TEXT_ELEMENTS: ReadonlyMap<string, RegExp> = new Map(
  ['script', 'style', 'noscript', 'template', 'textarea', 'xmp', 'iframe', 'noembed', 'noframes'].map((name) => [
    name,
    new RegExp(`</${name}[\\s/>]`, 'gi'),
  ]),
);
const TITLE_END = /<\/title[\s/>]/gi;

/** Where the end tag `pattern` starts at or after `from`, or -1. */
function endTag(html: string, from: number, pattern: RegExp): number {
  pattern.lastIndex = from;
  return pattern.exec(html)?.index ?? -1;
}

/**
 * Tokenizes the attributes of a tag from `position` (just after its name) to its `>` as the HTML
 * spec does (quoted values may contain `>`; a repeated attribute is ignored), storing them into
 * `attributes` (names lower-cased, values raw) when given. Returns the index after the `>`.
 */
function readAttributes(html: string, position: number, attributes?: Map<string, string>): number {
  const length = html.length;
  let at = position;
  for (;;) {
    while (at < length && (isSpace(html.charCodeAt(at)) || html.charCodeAt(at) === SLASH)) at += 1;
    if (at >= length) return length;
    if (html.charCodeAt(at) === GT) return at + 1;
    const nameStart = at;
    at += 1; // a first "=" belongs to the name
    while (at < length) {
      const code = html.charCodeAt(at);
      if (isSpace(code) || code === SLASH || code === GT || code === EQUALS) break;
      at += 1;
    }
    const nameEnd = at;
    while (at < length && isSpace(html.charCodeAt(at))) at += 1;
    let valueStart = at;
    let valueEnd = at;
    if (html.charCodeAt(at) === EQUALS) {
      at += 1;
      while (at < length && isSpace(html.charCodeAt(at))) at += 1;
      const quote = html.charCodeAt(at);
      if (quote === DOUBLE_QUOTE || quote === SINGLE_QUOTE) {
        const close = html.indexOf(quote === DOUBLE_QUOTE ? '"' : "'", at + 1);
        valueStart = at + 1;
        valueEnd = close === -1 ? length : close;
        at = close === -1 ? length : close + 1;
      } else {
        valueStart = at;
        while (at < length && !isSpace(html.charCodeAt(at)) && html.charCodeAt(at) !== GT) at += 1;
        valueEnd = at;
      }
    }
    if (attributes !== undefined) {
      const name = html.slice(nameStart, nameEnd).toLowerCase();
      if (!attributes.has(name)) attributes.set(name, html.slice(valueStart, valueEnd));
    }
  }
}

const decodeText = (raw: string): string => (raw.includes('&') ? decodeHTML(raw) : raw);
const decodeAttribute = (raw: string): string => (raw.includes('&') ? decodeHTMLAttribute(raw) : raw);

/**
 * The `<meta>` values and title of an HTML document (usually just its head), read in one pass
 * without building a DOM. Tags are recognised as a browser's tokenizer recognises them: comments,
 * doctypes and the content of scripts, styles and other text elements are skipped, so markup
 * inside a script string is never mistaken for a tag; `<title>` content is text up to `</title>`.
 */
export function readHeadMetadata(html: string): HeadMetadata {
  const meta = new Map<string, string>();
  let title: string | undefined;
  const length = html.length;
  let at = 0;
  while (at < length) {
    const open = html.indexOf('<', at);
    if (open === -1 || open + 1 >= length) break;
    const next = html.charCodeAt(open + 1);
    if (next === BANG) {
      if (html.startsWith('<!--', open)) {
        // `<!-->` and `<!--->` close at once (HTML spec: abrupt closing of empty comment).
        if (html.charCodeAt(open + 4) === GT) at = open + 5;
        else if (html.startsWith('->', open + 4)) at = open + 6;
        else {
          const close = html.indexOf('-->', open + 4);
          if (close === -1) break;
          at = close + 3;
        }
      } else {
        const close = html.indexOf('>', open + 2);
        if (close === -1) break;
        at = close + 1;
      }
      continue;
    }
    if (next === QUESTION || (next === SLASH && !isLetter(html.charCodeAt(open + 2)))) {
      // A bogus comment (`<?…>`, `</ …>`) runs to the next ">".
      const close = html.indexOf('>', open + 2);
      if (close === -1) break;
      at = close + 1;
      continue;
    }
    const isEndTag = next === SLASH;
    const nameStart = isEndTag ? open + 2 : open + 1;
    if (!isLetter(html.charCodeAt(nameStart))) {
      at = open + 1; // a "<" that starts no tag is text
      continue;
    }
    let nameEnd = nameStart + 1;
    while (nameEnd < length) {
      const code = html.charCodeAt(nameEnd);
      if (isSpace(code) || code === SLASH || code === GT) break;
      nameEnd += 1;
    }
    if (isEndTag) {
      at = readAttributes(html, nameEnd);
      continue;
    }
    const name = html.slice(nameStart, nameEnd).toLowerCase();
    if (name === 'meta') {
      const attributes = new Map<string, string>();
      at = readAttributes(html, nameEnd, attributes);
      const key = attributes.get('property') ?? attributes.get('name');
      const content = attributes.get('content');
      if (key !== undefined && content !== undefined) {
        const normalised = decodeAttribute(key).trim().toLowerCase();
        if (!meta.has(normalised)) meta.set(normalised, decodeAttribute(content));
      }
      continue;
    }
    at = readAttributes(html, nameEnd);
    if (name === 'title') {
      const close = endTag(html, at, TITLE_END);
      const end = close === -1 ? length : close;
      title ??= decodeText(html.slice(at, end));
      at = end;
      continue;
    }
    if (name === 'plaintext') break;
    const closer = TEXT_ELEMENTS.get(name);
    if (closer !== undefined) {
      const close = endTag(html, at, closer);
      if (close === -1) break;
      at = close;
    }
  }
  return title === undefined ? { meta } : { meta, title };
}
