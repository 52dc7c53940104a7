import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, envBindAddress, envHostList, envInteger, envList, envLogLevel, envSecretFile, envString } from '../src/index.js';

describe('envString', () => {
  it('when set, then returns the trimmed value', () => {
    expect(envString({ NAME: '  natter ' }, 'NAME')).toBe('natter');
  });
  it('when unset or blank, then falls back to the default', () => {
    expect(envString({ NAME: ' ' }, 'NAME', { default: 'x' })).toBe('x');
  });
  it('fails when required and unset, naming the variable', () => {
    expect(() => envString({}, 'DATABASE_HOST')).toThrow(new ConfigError('DATABASE_HOST', 'is required but not set'));
  });
});

describe('envInteger', () => {
  const range = { min: 1, max: 65535 };
  it('when a whole number in range, then parses it', () => {
    expect(envInteger({ PORT: '4567' }, 'PORT', range)).toBe(4567);
  });
  it('when unset, then uses the default', () => {
    expect(envInteger({}, 'PORT', { ...range, default: 8080 })).toBe(8080);
  });
  it.each(['12abc', '-1', '1.5', '0x10'])('fails when the value is %s', (raw) => {
    expect(() => envInteger({ PORT: raw }, 'PORT', range)).toThrow(/^PORT: must be a whole number between 1 and 65535, got/);
  });
  it('fails when out of range', () => {
    expect(() => envInteger({ PORT: '70000' }, 'PORT', range)).toThrow('PORT: must be between 1 and 65535, got 70000');
  });
});

describe('envList and envHostList', () => {
  it('when comma-separated, then splits and trims', () => {
    expect(envList({ PORTS: '80, 443' }, 'PORTS')).toEqual(['80', '443']);
  });
  it('fails when an item is empty', () => {
    expect(() => envList({ PORTS: '80,,443' }, 'PORTS')).toThrow(/PORTS: must be a comma-separated list without empty items/);
  });
  it('when hosts have ports or upper case, then lower-cases them', () => {
    expect(envHostList({ ALLOWED_HOSTS: 'API.natter.local:30567,natter-api-service,[::1]:4567' }, 'ALLOWED_HOSTS')).toEqual([
      'api.natter.local:30567',
      'natter-api-service',
      '[::1]:4567',
    ]);
  });
  it.each(['http://api', 'api/path', 'a b', 'host:port'])('fails when a host is %s', (host) => {
    expect(() => envHostList({ ALLOWED_HOSTS: host }, 'ALLOWED_HOSTS')).toThrow(/^ALLOWED_HOSTS: ".*" is not a host name or host:port$/);
  });
});

describe('envSecretFile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'service-kit-'));
  it('when the file exists, then returns its content without the trailing newline', () => {
    const path = join(dir, 'key');
    writeFileSync(path, 's3cret-value\n');
    expect(envSecretFile({ HMAC_KEY_FILE: path }, 'HMAC_KEY_FILE')).toBe('s3cret-value');
  });
  it('fails when the file is missing, naming variable and path', () => {
    expect(() => envSecretFile({ HMAC_KEY_FILE: join(dir, 'nope') }, 'HMAC_KEY_FILE')).toThrow(
      /^HMAC_KEY_FILE: cannot read secret file ".*nope" \(ENOENT\)$/,
    );
  });
  it('fails when the file is empty', () => {
    const path = join(dir, 'empty');
    writeFileSync(path, '\n');
    expect(() => envSecretFile({ HMAC_KEY_FILE: path }, 'HMAC_KEY_FILE')).toThrow(/is empty$/);
  });
});

describe('envLogLevel and envBindAddress', () => {
  it('when unset, then info and all IPv4 interfaces', () => {
    expect(envLogLevel({})).toBe('info');
    expect(envBindAddress({})).toBe('0.0.0.0');
  });
  it('when set, then the level (any case) and the address', () => {
    expect(envLogLevel({ LOG_LEVEL: 'WARN' })).toBe('warn');
    expect(envBindAddress({ BIND_ADDRESS: '::1' })).toBe('::1');
  });
  it('fails when the level is unknown', () => {
    expect(() => envLogLevel({ LOG_LEVEL: 'verbose' })).toThrow('LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent, got "verbose"');
  });
  it('fails when the bind address is a name', () => {
    expect(() => envBindAddress({ BIND_ADDRESS: 'localhost' })).toThrow('BIND_ADDRESS: must be an IP address such as 0.0.0.0 or 127.0.0.1, got "localhost"');
  });
});
