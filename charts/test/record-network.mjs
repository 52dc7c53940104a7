// Preloaded (NODE_OPTIONS=--import) into processes under test, and inherited by their children:
// every outbound TCP connection or DNS lookup is written to $NATTER_NETWORK_LOG and refused
// before anything is sent, so a test can prove a command contacts no registry without ever
// reaching one.
import dns from 'node:dns';
import { appendFileSync } from 'node:fs';
import net from 'node:net';

const log = process.env.NATTER_NETWORK_LOG;
const record = (what) => appendFileSync(log, `${what}\n`);
const refused = () => Object.assign(new Error('network access refused by the test'), { code: 'ECONNREFUSED' });

const connect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function (...args) {
  const first = Array.isArray(args[0]) ? args[0][0] : args[0];
  const options = typeof first === 'object' && first !== null ? first : { port: first, host: args[1] };
  // Unix sockets and pipes (IPC between local processes: a path, no port) are not network traffic.
  if (options.port === undefined || (typeof first === 'string' && !/^\d+$/.test(first))) return connect.apply(this, args);
  record(`connect ${options.host ?? 'localhost'}:${options.port}`);
  process.nextTick(() => this.destroy(refused()));
  return this;
};

dns.lookup = (hostname, ...rest) => {
  record(`lookup ${hostname}`);
  const callback = rest.at(-1);
  process.nextTick(() => callback(refused()));
};
