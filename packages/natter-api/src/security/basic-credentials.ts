/** The outcome of parsing an `Authorization: Basic` value. */
export type BasicCredentials = { readonly username: string; readonly password: string };

const STRICT_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Strict base64 (canonical padding and bits), strict UTF-8, split at the first colon.
 * @returns the credentials, or a reason they are malformed (the caller answers 400)
 */
export function parseBasicCredentials(encoded: string): BasicCredentials | { readonly invalid: string } {
  if (!STRICT_BASE64.test(encoded)) return { invalid: 'invalid Basic credentials encoding' };
  const bytes = Buffer.from(encoded, 'base64');
  if (bytes.toString('base64') !== encoded) return { invalid: 'invalid Basic credentials encoding' };
  let decoded: string;
  try {
    decoded = utf8.decode(bytes);
  } catch {
    return { invalid: 'Basic credentials are not valid UTF-8' };
  }
  const colon = decoded.indexOf(':');
  if (colon < 0) return { invalid: 'invalid auth header' };
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}
