import './support/timeouts.js';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseBasicCredentials } from '../src/security/basic-credentials.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { createSpace, registerUser, startApp, type SpaceUris, type TestApp } from './support/harness.js';

let database: TestDatabase;
let app: TestApp;
let owner: { username: string; auth: string };
let space: SpaceUris;
beforeAll(async () => {
  database = await createTestDatabase();
  app = await startApp(database.db);
  owner = await registerUser(app);
  space = await createSpace(app, owner);
});
afterAll(async () => {
  await app?.close();
  await database?.close();
});

const RUNS = Number(process.env['NATTER_PROPERTY_RUNS'] ?? 60);
const headerText = fc.string({ unit: 'binary-ascii', maxLength: 80 }).map((text) => text.replace(/[^\x20-\x7e]/g, '').trim());
const fieldNames = fc.constantFrom('username', 'password', 'name', 'owner', 'author', 'message', 'uri', 'user', 'perms', 'roles', 'role', '__proto__', 'constructor');
const fieldValue = fc.oneof(fc.jsonValue(), fc.string({ unit: 'grapheme', maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 40 }), fc.constant(''), fc.constant('\u0000'));
const objectBody = fc.dictionary(fieldNames, fieldValue, { maxKeys: 6 }).map((object) => JSON.stringify(object));
const anyBody = fc.oneof(
  objectBody,
  fc.jsonValue().map((value) => JSON.stringify(value) ?? 'null'),
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes).toString('latin1')),
);
const authorization = fc.oneof(
  fc.base64String({ maxLength: 60 }).map((value) => `Basic ${value}`),
  fc.string({ unit: 'binary', maxLength: 40 }).map((value) => `Basic ${Buffer.from(value, 'utf8').toString('base64')}`),
  fc.tuple(fc.stringMatching(/^[a-zA-Z][a-zA-Z0-9]{0,31}$/), fc.string({ maxLength: 20 })).map(([user, password]) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`),
  headerText.map((value) => `Bearer ${value}`),
  headerText,
);
const contentType = fc.oneof(
  fc.constant('application/json'),
  fc.constant('application/json; charset=utf-8'),
  headerText,
  fc.constantFrom('text/plain', 'application/json; charset=latin1', 'multipart/form-data; boundary=x'),
);

describe('no input produces a 5xx', () => {
  it('when random bodies, content types and credentials are POSTed to every POST route, then the status is below 500', async () => {
    const paths = () => ['/users', '/sessions', '/spaces', space['messages-rw'], `/spaces/${space.id}/members?access_token=x`, '/share'];
    await fc.assert(
      fc.asyncProperty(fc.nat(5), anyBody, contentType, fc.option(authorization), async (pathIndex, body, type, auth) => {
        let request = app.http.post(paths()[pathIndex]!).set('Content-Type', type);
        if (auth !== null) request = request.set('Authorization', auth);
        const response = await request.send(body);
        expect(response.status, `${paths()[pathIndex]} ${type} ${body}`).toBeLessThan(500);
        expect(response.headers['content-type']).toBe('application/json; charset=utf-8');
      }),
      { numRuns: RUNS },
    );
  });

  it('when owner-authenticated random JSON objects hit the routes, then the status is below 500', async () => {
    const paths = () => ['/spaces', space['messages-rw'], `/spaces/${space.id}/members?access_token=${new URL(space.uri, 'http://x').searchParams.get('access_token')}`, '/share'];
    await fc.assert(
      fc.asyncProperty(fc.nat(3), objectBody, async (pathIndex, body) => {
        const response = await app.http.post(paths()[pathIndex]!).set('Authorization', owner.auth).set('Content-Type', 'application/json').send(body);
        expect(response.status, `${paths()[pathIndex]} ${body}`).toBeLessThan(500);
      }),
      { numRuns: RUNS },
    );
  });

  it('when random paths, query strings and headers are sent with GET and DELETE, then the status is below 500', async () => {
    const segment = fc.oneof(fc.constantFrom('spaces', 'messages', 'users', 'logs', 'sessions', String(space.id), '1', '99999999999999999999', '-1', '%00', '..'), fc.webSegment());
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('GET', 'DELETE', 'OPTIONS', 'PUT', 'PATCH'),
        fc.array(segment, { maxLength: 5 }),
        fc.webQueryParameters(),
        fc.option(authorization),
        fc.option(headerText),
        async (method, segments, query, auth, forwarded) => {
          let request = app.http[method.toLowerCase() as 'get'](`/${segments.join('/')}${query === '' ? '' : `?${query}`}`);
          if (auth !== null) request = request.set('Authorization', auth);
          if (forwarded !== null) request = request.set('X-Forwarded-For', forwarded).set('Origin', forwarded).set('Access-Control-Request-Method', forwarded);
          const response = await request;
          expect(response.status, `${method} /${segments.join('/')}?${query}`).toBeLessThan(500);
        },
      ),
      { numRuns: RUNS },
    );
  });
});

describe('Basic credentials parsing', () => {
  it('when any username:password is encoded canonically, then it decodes back exactly', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }).filter((user) => !user.includes(':')), fc.string({ unit: 'grapheme' }), (user, password) => {
        const encoded = Buffer.from(`${user}:${password}`, 'utf8').toString('base64');
        expect(parseBasicCredentials(encoded)).toEqual({ username: user, password });
      }),
    );
  });

  it('when the encoding is altered to a non-canonical form, then it is refused, never misread', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), (text) => {
        const encoded = Buffer.from(text, 'utf8').toString('base64');
        const unpadded = encoded.replace(/=+$/, '');
        if (unpadded !== encoded) expect(parseBasicCredentials(unpadded)).toHaveProperty('invalid');
        expect(parseBasicCredentials(`${encoded} `)).toHaveProperty('invalid');
      }),
    );
  });
});
