/** The contract's link pattern. */
const LINK = /https?:\/\/\S+/g;

/** At most `limit` distinct links, in order of first appearance. */
export function extractLinks(text: string, limit: number): string[] {
  const links: string[] = [];
  for (const match of text.matchAll(LINK)) {
    if (!links.includes(match[0])) links.push(match[0]);
    if (links.length === limit) break;
  }
  return links;
}
