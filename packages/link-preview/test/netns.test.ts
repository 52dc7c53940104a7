/**
 * Optional: the real production server (src/server.ts, no test seams at all) in one network
 * namespace, a fake "internet" in another, joined by a veth pair whose addresses this test assigns.
 * Nothing here touches the host's own interfaces; both namespaces are deleted afterwards.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inNamespace, ip, netnsAvailable } from './support/netns.js';
import { NODE_WITH_TSX, PACKAGE_DIR } from './support/spawn-service.js';

const suffix = `${process.pid % 100_000}`;
const SERVICE_NS = `lp-svc-${suffix}`;
const INTERNET_NS = `lp-net-${suffix}`;
const SERVICE_IF = `lps${suffix}`;
const INTERNET_IF = `lpi${suffix}`;
/** A public-looking address that exists only inside the test's namespaces. */
const PUBLIC_SERVER = '11.0.0.2';
const PRIVATE_SERVER = '10.0.0.2';
const HOST = 'link-preview.test:4567';

/** A tiny HTTP server on port 80 of every address in the "internet" namespace; counts connections per local address. */
const INTERNET_SERVER = `
const http = require('node:http');
const seen = {};
const server = http.createServer((req, res) => {
  if (req.url === '/__connections') { res.writeHead(200, { 'content-type': 'application/json' }); return res.end(JSON.stringify(seen)); }
  res.writeHead(200, { 'content-type': 'text/html' });
  res.end('<html><head><title>Served from ' + req.socket.localAddress + '</title></head></html>');
});
server.on('connection', (socket) => { seen[socket.localAddress] = (seen[socket.localAddress] || 0) + 1; });
server.listen(80, '0.0.0.0', () => console.log('ready'));
`;

/** Asks the service (inside its namespace, over its loopback) and prints `{status, body}`. */
const CLIENT = `
const http = require('node:http');
http.get(process.argv[1], { headers: { host: process.argv[2] } }, (res) => {
  let body = ''; res.on('data', (c) => body += c); res.on('end', () => console.log(JSON.stringify({ status: res.statusCode, body: JSON.parse(body) })));
}).on('error', (e) => { console.error(e.message); process.exit(1); });
`;

function waitForLine(child: ChildProcess, predicate: (line: string) => boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    const timer = setTimeout(() => reject(new Error(`timed out waiting; got: ${buffered}`)), 20_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const line = buffered.split('\n').find(predicate);
      if (line !== undefined) {
        clearTimeout(timer);
        resolve(line);
      }
    });
    child.once('exit', (code) => reject(new Error(`exited with ${code}: ${buffered}`)));
  });
}

describe.skipIf(!netnsAvailable())('in network namespaces (root only)', () => {
  const children: ChildProcess[] = [];
  let serviceUrl = '';
  let createdNetnsDir = false;

  async function ask(target: string): Promise<{ status: number; body: Record<string, unknown> }> {
    const url = `${serviceUrl}/preview?url=${encodeURIComponent(target)}`;
    return JSON.parse(await inNamespace(SERVICE_NS, process.execPath, ['-e', CLIENT, url, HOST])) as { status: number; body: Record<string, unknown> };
  }

  async function connectionsSeen(): Promise<Record<string, number>> {
    const stdout = await inNamespace(INTERNET_NS, process.execPath, ['-e', CLIENT, `http://${PUBLIC_SERVER}/__connections`, 'x']);
    return (JSON.parse(stdout) as { body: Record<string, number> }).body;
  }

  beforeAll(async () => {
    await ip('netns', 'add', SERVICE_NS);
    await ip('netns', 'add', INTERNET_NS);
    // Created directly inside the namespaces: the host's interfaces are never touched.
    await ip('link', 'add', SERVICE_IF, 'netns', SERVICE_NS, 'type', 'veth', 'peer', 'name', INTERNET_IF, 'netns', INTERNET_NS);
    for (const [ns, iface, addresses] of [
      [SERVICE_NS, SERVICE_IF, ['11.0.0.1/24', '10.0.0.1/24']],
      [INTERNET_NS, INTERNET_IF, [`${PUBLIC_SERVER}/24`, `${PRIVATE_SERVER}/24`]],
    ] as const) {
      for (const address of addresses) await ip('-n', ns, 'addr', 'add', address, 'dev', iface);
      await ip('-n', ns, 'link', 'set', iface, 'up');
      await ip('-n', ns, 'link', 'set', 'lo', 'up');
    }
    // `ip netns exec` bind-mounts /etc/netns/<ns>/hosts over /etc/hosts: the system resolver path, no seam.
    createdNetnsDir = !existsSync('/etc/netns');
    mkdirSync(`/etc/netns/${SERVICE_NS}`, { recursive: true });
    writeFileSync(`/etc/netns/${SERVICE_NS}/hosts`, `127.0.0.1 localhost\n${PUBLIC_SERVER} news.example\n${PRIVATE_SERVER} intranet.example\n`);

    const internet = spawn('ip', ['netns', 'exec', INTERNET_NS, process.execPath, '-e', INTERNET_SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(internet);
    await waitForLine(internet, (line) => line === 'ready');

    const service = spawn('ip', ['netns', 'exec', SERVICE_NS, ...NODE_WITH_TSX, join(PACKAGE_DIR, 'src/server.ts')], {
      cwd: PACKAGE_DIR,
      env: { PATH: process.env.PATH ?? '', PORT: '0', ALLOWED_HOSTS: HOST },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.push(service);
    const listening = JSON.parse(await waitForLine(service, (line) => line.includes('"msg":"listening"'))) as { url: string };
    serviceUrl = `http://127.0.0.1:${new URL(listening.url).port}`;
  }, 60_000);

  afterAll(async () => {
    await Promise.all(
      children.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.kill('SIGTERM');
          }),
      ),
    );
    await Promise.allSettled([ip('netns', 'del', SERVICE_NS), ip('netns', 'del', INTERNET_NS)]);
    rmSync(`/etc/netns/${SERVICE_NS}`, { recursive: true, force: true });
    if (createdNetnsDir) rmdirSync('/etc/netns');
  });

  it('when a public address is previewed, then the production server fetches it', async () => {
    expect(await ask(`http://${PUBLIC_SERVER}/`)).toEqual({ status: 200, body: { url: `http://${PUBLIC_SERVER}/`, title: `Served from ${PUBLIC_SERVER}` } });
  });

  it('when a name from /etc/hosts resolves to the public address, then it is fetched through the system resolver', async () => {
    expect(await ask('http://news.example/')).toMatchObject({ status: 200, body: { title: `Served from ${PUBLIC_SERVER}` } });
  });

  it('when a private address (literal or by name) is previewed, then 400 and the private server sees no connection', async () => {
    expect(await ask(`http://${PRIVATE_SERVER}/`)).toEqual({ status: 400, body: { status: 400, error: 'destination not allowed' } });
    expect(await ask('http://intranet.example/')).toEqual({ status: 400, body: { status: 400, error: 'destination not allowed' } });
    expect((await connectionsSeen())[PRIVATE_SERVER]).toBeUndefined();
  });
});
