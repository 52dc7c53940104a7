/** Creates the benchmark's user, session, space and messages through the API itself. */
import { randomBytes } from 'node:crypto';
import { basicAuth, request } from '@natter/process-harness';

export interface BenchIdentity {
  readonly username: string;
  readonly basic: string;
  readonly bearer: string;
  /** `messages-rw` capability URI of the benchmark's space. */
  readonly messagesUri: string;
}

export interface SeededMessage {
  /** Read capability URI (`/spaces/1/messages/2?access_token=…`). */
  readonly uri: string;
  readonly spaceId: number;
  readonly msgId: number;
}

async function expectStatus<T>(what: string, response: Awaited<ReturnType<typeof request>>, status: number): Promise<T> {
  if (response.status !== status) throw new Error(`${what}: expected ${status}, got ${response.status} ${response.body}`);
  return response.json<T>();
}

export async function createIdentity(baseUrl: string): Promise<BenchIdentity> {
  const username = `bench${randomBytes(4).toString('hex')}`;
  const password = randomBytes(12).toString('base64url');
  await expectStatus('POST /users', await request(`${baseUrl}/users`, { json: { username, password } }), 201);
  const basic = basicAuth(username, password);
  const session = await expectStatus<{ token: string }>(
    'POST /sessions',
    await request(`${baseUrl}/sessions`, { method: 'POST', headers: { authorization: basic } }),
    201,
  );
  const bearer = `Bearer ${session.token}`;
  const space = await expectStatus<{ 'messages-rw': string }>(
    'POST /spaces',
    await request(`${baseUrl}/spaces`, { headers: { authorization: bearer }, json: { owner: username, name: `bench space ${username}` } }),
    201,
  );
  return { username, basic, bearer, messagesUri: space['messages-rw'] };
}

export async function postMessage(baseUrl: string, identity: BenchIdentity, text: string): Promise<SeededMessage> {
  const created = await expectStatus<{ uri: string }>(
    'POST message',
    await request(`${baseUrl}${identity.messagesUri}`, {
      headers: { authorization: identity.bearer },
      json: { author: identity.username, message: text },
    }),
    201,
  );
  const match = /^\/spaces\/(\d+)\/messages\/(\d+)\?/.exec(created.uri);
  if (match === null) throw new Error(`unexpected message URI ${created.uri}`);
  return { uri: created.uri, spaceId: Number(match[1]), msgId: Number(match[2]) };
}

/** A message text with `count` links no other message shares (so their previews start cold). */
export function textWithLinks(tag: string, count: number): string {
  const links = Array.from({ length: count }, (_unused, index) => `https://www.example.com/${tag}/${index}`);
  return count === 0 ? 'A message without links' : `Worth a look: ${links.join(' ')}`;
}

/** Posts `count` messages with up to `parallel` requests in flight. */
export async function postMessages(
  baseUrl: string,
  identity: BenchIdentity,
  count: number,
  text: (index: number) => string,
  parallel = 8,
): Promise<SeededMessage[]> {
  const messages: SeededMessage[] = new Array(count);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const index = next;
      next += 1;
      messages[index] = await postMessage(baseUrl, identity, text(index));
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  return messages;
}
