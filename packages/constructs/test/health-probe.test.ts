import { describe, expect, it } from 'vitest';
import { k8s } from 'cdk8s-plus-27';
import { HealthProbe } from '../src/index.js';
import type { Manifest } from './helpers.js';

const PORTS = [{ name: 'http', number: 4567 }];

/** The probe as it appears in YAML (IntOrString unwrapped). */
function render(probe: HealthProbe, ports = PORTS): Manifest {
  return JSON.parse(JSON.stringify(probe.render(ports), (_key, value) => (value instanceof k8s.IntOrString ? value.value : value)));
}

describe('HealthProbe', () => {
  it('renders an HTTP probe with a Host header and default timing', () => {
    expect(render(HealthProbe.httpGet('/health', { hostHeader: 'svc.ns:4567' }))).toEqual({
      initialDelaySeconds: 0,
      periodSeconds: 10,
      timeoutSeconds: 2,
      failureThreshold: 3,
      httpGet: { path: '/health', port: 'http', scheme: 'HTTP', httpHeaders: [{ name: 'Host', value: 'svc.ns:4567' }] },
    });
  });

  it('omits httpHeaders without a Host header and accepts a numeric port', () => {
    const probe = render(HealthProbe.httpGet('/health', { port: 9000, failureThreshold: 5 }));
    expect(probe.httpGet).toEqual({ path: '/health', port: 9000, scheme: 'HTTP' });
    expect(probe.failureThreshold).toBe(5);
  });

  it('renders tcp and exec probes', () => {
    expect(render(HealthProbe.tcpSocket()).tcpSocket).toEqual({ port: 'http' });
    expect(render(HealthProbe.exec(['true'], { periodSeconds: 30 }), [])).toMatchObject({ exec: { command: ['true'] }, periodSeconds: 30 });
  });

  describe('fails when', () => {
    it.each([
      ['the path is relative', () => HealthProbe.httpGet('health'), /probe path must start with '\/', got 'health'/],
      ['the Host header has spaces', () => HealthProbe.httpGet('/', { hostHeader: 'a b' }), /probe hostHeader must be a host or host:port, got 'a b'/],
      ['the exec command is empty', () => HealthProbe.exec([]), /exec probe command must not be empty/],
      ['periodSeconds is 0', () => HealthProbe.tcpSocket({ periodSeconds: 0 }), /probe periodSeconds must be an integer >= 1, got 0/],
      ['initialDelaySeconds is negative', () => HealthProbe.tcpSocket({ initialDelaySeconds: -1 }), /probe initialDelaySeconds must be an integer >= 0, got -1/],
    ])('%s', (_name, build, message) => {
      expect(build).toThrow(message);
    });
  });
});
