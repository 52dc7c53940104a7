import iconv from 'iconv-lite';

/**
 * Labels the WHATWG Encoding Standard maps to windows-1252: browsers decode pages declared as
 * ISO-8859-1 or ASCII as windows-1252, so 0x80 is "€", not a control character.
 */
const WINDOWS_1252_LABELS = new Set([
  'ansi_x3.4-1968', 'ascii', 'cp1252', 'cp819', 'csisolatin1', 'ibm819', 'iso-8859-1', 'iso-ir-100',
  'iso8859-1', 'iso88591', 'iso_8859-1', 'iso_8859-1:1987', 'l1', 'latin1', 'us-ascii', 'windows-1252',
  'x-cp1252',
]);

const UTF8_LABELS = new Set(['utf-8', 'utf8', 'unicode-1-1-utf-8']);

const META_CHARSET = /<meta\s[^>]*?charset\s*=\s*["']?\s*([\w.:+-]+)/i;
const HEADER_CHARSET = /;\s*charset\s*=\s*["']?\s*([\w.:+-]+)/i;

/** A decoder name iconv-lite knows for `label`, or `undefined` for an unknown or unusable label. */
function encodingFor(label: string | undefined, fromMeta: boolean): string | undefined {
  if (label === undefined) return undefined;
  const name = label.toLowerCase();
  if (UTF8_LABELS.has(name)) return 'utf-8';
  if (WINDOWS_1252_LABELS.has(name)) return 'windows-1252';
  // A <meta> that claims UTF-16 was itself read as ASCII, so it cannot be true (HTML spec: use UTF-8).
  if (fromMeta && name.startsWith('utf-16')) return 'utf-8';
  return iconv.encodingExists(name) ? name : undefined;
}

function byteOrderMark(bytes: Buffer): string | undefined {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return 'utf-8';
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return 'utf-16be';
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return 'utf-16le';
  return undefined;
}

/**
 * The page's character encoding, in the browser's order of precedence: byte-order mark, the
 * Content-Type charset, a `<meta charset>` or `http-equiv` declaration, then UTF-8. Unknown labels
 * are skipped rather than trusted.
 */
export function detectEncoding(bytes: Buffer, contentType: string | undefined): string {
  return (
    byteOrderMark(bytes) ??
    encodingFor(contentType === undefined ? undefined : HEADER_CHARSET.exec(contentType)?.[1], false) ??
    encodingFor(META_CHARSET.exec(bytes.toString('latin1'))?.[1], true) ??
    'utf-8'
  );
}

/** Decodes HTML bytes to text (without a byte-order mark). */
export function decodeHtml(bytes: Buffer, contentType: string | undefined): string {
  const encoding = detectEncoding(bytes, contentType);
  if (encoding === 'utf-8') {
    const start = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
    return bytes.toString('utf8', start);
  }
  return iconv.decode(bytes, encoding);
}
