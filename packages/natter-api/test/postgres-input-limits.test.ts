/**
 * Issue 7, defect 2: every value that reaches SQL is one PostgreSQL accepts, so input it would
 * refuse is a 400 (or, for path ids, the contract's 404) with a JSON message, never a 500 — and
 * nothing is silently altered on the way in. Runs against real PostgreSQL where configured.
 */
import './support/timeouts.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expectSecurityHeaders, postMessage, uniqueName } from './support/harness.js';
import { useAppPerTest, useOwnedSpacePerTest, useTestDatabase } from './support/lifecycle.js';

const database = useTestDatabase();
const app = useAppPerTest(database);
const fixture = useOwnedSpacePerTest(app);

const SINCE_ERROR = 'since must be an ISO-8601 instant between 0001-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z, such as 2024-01-01T00:00:00Z';

describe('since (timestamptz)', () => {
  it.each([
    // JavaScript's Date accepts year 0; PostgreSQL refuses it ("date/time field value out of range").
    '0000-01-01T00:00:00Z',
    // Year 1 in local time, year 0 in UTC, which is what is sent.
    '0001-01-01T00:30:00+01:00',
    // Year 10000 in UTC: PostgreSQL cannot read the six-digit year JavaScript writes.
    '9999-12-31T23:59:59-01:00',
    // Days and hours that do not exist: Date rolls them over into another instant.
    '2024-02-30T00:00:00Z',
    '2023-02-29T00:00:00Z',
    '2024-01-01T24:00:00Z',
    '2024-01-01T00:00:00+24:00',
  ])('when since is %s, then 400 with a clear message', async (since) => {
    const response = await app().http.get(`${fixture.space['messages-r']}&since=${encodeURIComponent(since)}`).set('Authorization', fixture.owner.auth);
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ error: SINCE_ERROR });
    expectSecurityHeaders(response, expect);
  });

  it.each(['0001-01-01T00:00:00Z', '2024-02-29T23:59:59.999+00:00', '9999-12-31T23:59:59.999Z', '9999-12-31T23:59:59+00:00'])(
    'when since is %s (the range PostgreSQL accepts), then 200',
    async (since) => {
      const response = await app().http.get(`${fixture.space['messages-r']}&since=${encodeURIComponent(since)}`).set('Authorization', fixture.owner.auth);
      expect(response.status).toBe(200);
      expect(Array.isArray(response.body)).toBe(true);
    },
  );

  it('when since is any instant-shaped string, fields in range or not, then 200 or 400 and never 500 (property)', async () => {
    // Each field mostly in range (so the instant is otherwise valid), sometimes any digits; the
    // edges of PostgreSQL's range come up often, not once in ten thousand.
    const field = (min: number, max: number, width = 2) =>
      fc.oneof({ arbitrary: fc.integer({ min, max }), weight: 4 }, { arbitrary: fc.integer({ min: 0, max: 10 ** width - 1 }), weight: 1 }).map((value) => String(value).padStart(width, '0'));
    const year = fc.oneof(fc.constantFrom('0000', '0001', '9999'), field(0, 9999, 4));
    const zone = fc.oneof(fc.constant('Z'), fc.tuple(fc.constantFrom('+', '-'), field(0, 23), field(0, 59)).map(([sign, hours, minutes]) => `${sign}${hours}:${minutes}`));
    const since = fc
      .tuple(year, field(1, 12), field(1, 31), field(0, 23), field(0, 59), field(0, 59), fc.constantFrom('', '.5', '.999', '.123456789'), zone)
      .map(([y, month, day, hour, minute, second, fraction, offset]) => `${y}-${month}-${day}T${hour}:${minute}:${second}${fraction}${offset}`);
    await fc.assert(
      fc.asyncProperty(since, async (value) => {
        const response = await app().http.get(`${fixture.space['messages-r']}&since=${encodeURIComponent(value)}`).set('Authorization', fixture.owner.auth);
        expect([200, 400], value).toContain(response.status);
      }),
      { numRuns: Number(process.env['NATTER_PROPERTY_RUNS'] ?? 60) },
    );
  });

  it('when since is the earliest accepted instant, then older messages are listed', async () => {
    await postMessage(app(), fixture.owner, fixture.space['messages-rw'], 'listed');
    const response = await app().http.get(`${fixture.space['messages-r']}&since=0001-01-01T00:00:00Z`).set('Authorization', fixture.owner.auth);
    expect(response.body).toHaveLength(1);
  });
});

describe('text (PostgreSQL text holds neither NUL nor unpaired surrogates)', () => {
  it.each([
    ['message', 'a\u0000b', 'message must not contain NUL characters'],
    // An unpaired surrogate would be stored as U+FFFD: the text would silently change.
    ['message', 'a\ud800b', 'message must be well-formed Unicode (no unpaired surrogates)'],
    ['message', 'trailing \udc00', 'message must be well-formed Unicode (no unpaired surrogates)'],
  ])('when the %s is %j, then 400', async (_field, message, error) => {
    const response = await app().http.post(fixture.space['messages-rw']).set('Authorization', fixture.owner.auth).send({ author: fixture.owner.username, message });
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ error });
  });

  it.each([
    ['nul\u0000byte', 'space name must not contain NUL characters'],
    ['lone \ud83d surrogate', 'space name must be well-formed Unicode (no unpaired surrogates)'],
  ])('when the space name is %j, then 400', async (name, error) => {
    const response = await app().http.post('/spaces').set('Authorization', fixture.owner.auth).send({ name, owner: fixture.owner.username });
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ error });
  });

  it('when text holds astral characters (paired surrogates), then it is stored unchanged', async () => {
    const message = 'emoji \u{1F600} and \u{10FFFF}';
    const posted = await postMessage(app(), fixture.owner, fixture.space['messages-rw'], message);
    const read = await app().http.get(posted.uri).set('Authorization', fixture.owner.auth);
    expect(read.body.message).toBe(message);
    const name = `${uniqueName('space')} \u{1F600}`;
    expect((await app().http.post('/spaces').set('Authorization', fixture.owner.auth).send({ name, owner: fixture.owner.username })).status).toBe(201);
  });
});

describe('ids in paths (BIGINT, read as JavaScript numbers)', () => {
  it.each([
    '9223372036854775807', // int8's maximum: 19 digits
    '9223372036854775808', // beyond int8
    '99999999999999999999',
    '9007199254740993', // beyond Number.MAX_SAFE_INTEGER: would be read as another id
    '18446744073709551616',
  ])('when a space id is %s, then 404 on every route, never 500', async (id) => {
    const auth = fixture.owner.auth;
    const responses = await Promise.all([
      app().http.get(`/spaces/${id}/messages`).set('Authorization', auth),
      app().http.post(`/spaces/${id}/messages`).set('Authorization', auth).send({ author: fixture.owner.username, message: 'x' }),
      app().http.get(`/spaces/${id}/messages/1`).set('Authorization', auth),
      app().http.get(`/spaces/1/messages/${id}`).set('Authorization', auth),
      app().http.delete(`/spaces/1/messages/${id}`).set('Authorization', auth),
      app().http.post(`/spaces/${id}/members`).set('Authorization', auth).send({ username: fixture.owner.username }),
    ]);
    for (const response of responses) {
      expect(response.status).toBe(404);
      expect(response.body).toEqual({ error: 'not found' });
    }
  });

  it('when an id is the largest safe integer, then it is a well-formed path (403 without a capability for it)', async () => {
    const response = await app().http.get(`/spaces/${Number.MAX_SAFE_INTEGER}/messages`).set('Authorization', fixture.owner.auth);
    expect(response.status).toBe(403);
  });
});
