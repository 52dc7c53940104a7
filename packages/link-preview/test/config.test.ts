import { ConfigError } from '@natter/service-kit';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config.js';

const minimal = { ALLOWED_HOSTS: 'natter-link-preview-service:4567' };

describe('parseConfig', () => {
  it('when only ALLOWED_HOSTS is set, then the documented defaults apply', () => {
    expect(parseConfig(minimal)).toEqual({
      port: 4567,
      bindAddress: '0.0.0.0',
      allowedHosts: ['natter-link-preview-service:4567'],
      logLevel: 'info',
      maxConcurrency: 64,
      readinessDnsName: undefined,
      preview: { timeoutMs: 3000, maxBytes: 524_288, maxRedirects: 10, allowedPorts: [80, 443] },
    });
  });

  it('when every variable is set, then each is used', () => {
    const config = parseConfig({
      PORT: '8080',
      BIND_ADDRESS: '127.0.0.1',
      ALLOWED_HOSTS: 'a.example:8080, B.example',
      LOG_LEVEL: 'warn',
      PREVIEW_TIMEOUT_MS: '1500',
      PREVIEW_MAX_BYTES: '65536',
      PREVIEW_MAX_REDIRECTS: '3',
      PREVIEW_ALLOWED_PORTS: '443',
      PREVIEW_MAX_CONCURRENCY: '8',
      READINESS_DNS_NAME: 'natter-link-preview-service.natter-api.svc.cluster.local',
    });
    expect(config).toEqual({
      port: 8080,
      bindAddress: '127.0.0.1',
      allowedHosts: ['a.example:8080', 'b.example'],
      logLevel: 'warn',
      maxConcurrency: 8,
      readinessDnsName: 'natter-link-preview-service.natter-api.svc.cluster.local',
      preview: { timeoutMs: 1500, maxBytes: 65_536, maxRedirects: 3, allowedPorts: [443] },
    });
    expect(Object.isFrozen(config) && Object.isFrozen(config.preview) && Object.isFrozen(config.preview.allowedPorts)).toBe(true);
  });

  it.each([
    [{}, 'ALLOWED_HOSTS'],
    [{ ALLOWED_HOSTS: 'bad host!' }, 'ALLOWED_HOSTS'],
    [{ ...minimal, PORT: 'eighty' }, 'PORT'],
    [{ ...minimal, PORT: '70000' }, 'PORT'],
    [{ ...minimal, LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ ...minimal, PREVIEW_TIMEOUT_MS: '0' }, 'PREVIEW_TIMEOUT_MS'],
    [{ ...minimal, PREVIEW_TIMEOUT_MS: '3s' }, 'PREVIEW_TIMEOUT_MS'],
    [{ ...minimal, PREVIEW_MAX_BYTES: '-1' }, 'PREVIEW_MAX_BYTES'],
    [{ ...minimal, PREVIEW_MAX_REDIRECTS: '100' }, 'PREVIEW_MAX_REDIRECTS'],
    [{ ...minimal, PREVIEW_ALLOWED_PORTS: '80,,443' }, 'PREVIEW_ALLOWED_PORTS'],
    [{ ...minimal, PREVIEW_ALLOWED_PORTS: '0' }, 'PREVIEW_ALLOWED_PORTS'],
    [{ ...minimal, PREVIEW_ALLOWED_PORTS: 'http' }, 'PREVIEW_ALLOWED_PORTS'],
    [{ ...minimal, PREVIEW_MAX_CONCURRENCY: '0' }, 'PREVIEW_MAX_CONCURRENCY'],
    [{ ...minimal, READINESS_DNS_NAME: 'http://example.com/' }, 'READINESS_DNS_NAME'],
    [{ ...minimal, READINESS_DNS_NAME: 'under_score.example' }, 'READINESS_DNS_NAME'],
    [{ ...minimal, READINESS_DNS_NAME: `${'a'.repeat(64)}.example` }, 'READINESS_DNS_NAME'],
  ])('fails when %o is given, naming %s', (env, variable) => {
    let caught: unknown;
    try {
      parseConfig(env);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).variable).toBe(variable);
    expect((caught as ConfigError).message).toMatch(new RegExp(`^${variable}: `));
  });

  it('when seam-looking variables are present, then the parsed config still carries only the four preview limits', () => {
    const config = parseConfig({
      ...minimal,
      PREVIEW_ALLOWED_FIXTURE_RANGES: '127.0.0.0/8',
      ALLOWED_FIXTURE_RANGES: '0.0.0.0/0',
      PREVIEW_LOOKUP: 'fake',
      LOOKUP: 'fake',
    });
    expect(Object.keys(config).sort()).toEqual(['allowedHosts', 'bindAddress', 'logLevel', 'maxConcurrency', 'port', 'preview', 'readinessDnsName']);
    expect(Object.keys(config.preview).sort()).toEqual(['allowedPorts', 'maxBytes', 'maxRedirects', 'timeoutMs']);
  });
});
