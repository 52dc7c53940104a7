import { describe, expect, it } from 'vitest';
import { cidrContains } from '../src/cidr.js';
import { deployment, networkPolicy, restrictedPodSpec } from './fixtures.js';
import type { Manifest } from '../src/manifest.js';
import { type Endpoint, NetworkPolicyEvaluator, type PodEndpoint, connectivityTable, formatAllowed, podEndpoints } from '../src/network-policy.js';

const web: PodEndpoint = { kind: 'pod', name: 'web', namespace: 'shop', labels: { app: 'web' }, ports: [{ name: 'http', containerPort: 8080 }], ip: '10.244.0.10' };
const db: PodEndpoint = { kind: 'pod', name: 'db', namespace: 'shop', labels: { app: 'db' }, ports: [{ name: 'pg', containerPort: 5432 }], ip: '10.244.0.11' };
const other: PodEndpoint = { kind: 'pod', name: 'other', namespace: 'tools', labels: { app: 'web' }, ports: [], ip: '10.244.1.5' };
const internet: Endpoint = { kind: 'ip', ip: '93.184.216.34' };

const denyAll = networkPolicy('deny-all', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
const webToDb = networkPolicy('web-to-db', {
  podSelector: { matchLabels: { app: 'web' } },
  policyTypes: ['Egress'],
  egress: [{ to: [{ podSelector: { matchLabels: { app: 'db' } } }], ports: [{ port: 5432 }] }],
});
const dbFromWeb = networkPolicy('db-from-web', {
  podSelector: { matchLabels: { app: 'db' } },
  policyTypes: ['Ingress'],
  ingress: [{ from: [{ podSelector: { matchLabels: { app: 'web' } } }], ports: [{ port: 'pg' }] }],
});

function evaluator(...policies: Manifest[]): NetworkPolicyEvaluator {
  return new NetworkPolicyEvaluator(policies, [{ name: 'shop', labels: { team: 'shop' } }, { name: 'tools', labels: { team: 'tools' } }]);
}

describe('NetworkPolicyEvaluator', () => {
  it('allows everything when no policy selects the pods', () => {
    expect(evaluator().isAllowed(web, db, { port: 1 })).toBe(true);
  });

  it('denies everything under a default-deny policy', () => {
    const verdict = evaluator(denyAll).decide(web, db, { port: 5432 });
    expect(verdict.allowed).toBe(false);
    expect(verdict.egress).toMatchObject({ isolated: true, allowed: false });
    expect(verdict.ingress).toMatchObject({ isolated: true, allowed: false });
  });

  it('needs both the egress of the source and the ingress of the destination', () => {
    expect(evaluator(denyAll, webToDb).isAllowed(web, db, { port: 5432 })).toBe(false);
    expect(evaluator(denyAll, dbFromWeb).isAllowed(web, db, { port: 5432 })).toBe(false);
    expect(evaluator(denyAll, webToDb, dbFromWeb).isAllowed(web, db, { port: 5432 })).toBe(true);
  });

  it('isolates a direction only when a policy of that type selects the pod', () => {
    // Only an ingress policy on db: web's egress stays open, db's ingress is isolated.
    const only = evaluator(dbFromWeb);
    expect(only.isAllowed(web, db, { port: 5432 })).toBe(true);
    expect(only.isAllowed(web, internet, { port: 443 })).toBe(true);
    expect(only.isAllowed(other, db, { port: 5432 })).toBe(false);
    expect(only.policiesSelecting(db, 'Egress')).toEqual([]);
  });

  it('defaults policyTypes to Ingress, plus Egress only when egress rules exist', () => {
    const bare = networkPolicy('bare', { podSelector: {} });
    expect(evaluator(bare).isAllowed(web, db, { port: 5432 })).toBe(false);
    expect(evaluator(bare).isAllowed(web, internet, { port: 443 })).toBe(true);
  });

  it('resolves named ports against the destination pod and checks the protocol', () => {
    const allowed = evaluator(denyAll, webToDb, dbFromWeb);
    expect(allowed.isAllowed(web, db, { port: 5432, protocol: 'UDP' })).toBe(false);
    expect(allowed.isAllowed(web, db, { port: 5433 })).toBe(false);
    const renamed: PodEndpoint = { ...db, ports: [{ name: 'postgres', containerPort: 5432 }] };
    expect(allowed.isAllowed(web, renamed, { port: 5432 })).toBe(false);
  });

  it('honours endPort ranges', () => {
    const range = networkPolicy('range', { podSelector: {}, policyTypes: ['Egress'], egress: [{ ports: [{ port: 8000, endPort: 8010 }] }] });
    expect(evaluator(range).isAllowed(web, internet, { port: 8010 })).toBe(true);
    expect(evaluator(range).isAllowed(web, internet, { port: 8011 })).toBe(false);
  });

  it('applies ipBlock with except, and never matches a named port on an IP', () => {
    const publicOnly = networkPolicy('public', {
      podSelector: { matchLabels: { app: 'web' } },
      policyTypes: ['Egress'],
      egress: [{ to: [{ ipBlock: { cidr: '0.0.0.0/0', except: ['10.0.0.0/8', '169.254.0.0/16'] } }], ports: [{ port: 443 }, { port: 'http' }] }],
    });
    const policies = evaluator(publicOnly);
    expect(policies.isAllowed(web, internet, { port: 443 })).toBe(true);
    expect(policies.isAllowed(web, { kind: 'ip', ip: '10.0.0.5' }, { port: 443 })).toBe(false);
    expect(policies.isAllowed(web, { kind: 'ip', ip: '169.254.169.254' }, { port: 443 })).toBe(false);
    expect(policies.isAllowed(web, internet, { port: 8080 })).toBe(false);
    expect(policies.isAllowed(web, { kind: 'ip', ip: '2001:db8::1' }, { port: 443 })).toBe(false);
    // A pod's IP inside an excepted range is not reachable through the ipBlock either.
    expect(policies.isAllowed(web, db, { port: 443 })).toBe(false);
  });

  it('scopes podSelector-only peers to the policy namespace and namespaceSelector to labels', () => {
    const fromTools = networkPolicy('from-tools', {
      podSelector: { matchLabels: { app: 'db' } },
      ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: 'tools' } }, podSelector: { matchLabels: { app: 'web' } } }] }],
    });
    expect(evaluator(dbFromWeb).isAllowed(other, db, { port: 5432 })).toBe(false);
    expect(evaluator(fromTools).isAllowed(other, db, { port: 5432 })).toBe(true);
    expect(evaluator(fromTools).isAllowed(web, db, { port: 5432 })).toBe(false);
    const byName = networkPolicy('by-name', {
      podSelector: { matchLabels: { app: 'db' } },
      ingress: [{ from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'tools' } } }] }],
    });
    expect(evaluator(byName).isAllowed(other, db, { port: 1 })).toBe(true);
  });

  it('evaluates matchExpressions', () => {
    const notWeb = networkPolicy('not-web', {
      podSelector: { matchLabels: { app: 'db' } },
      ingress: [{ from: [{ podSelector: { matchExpressions: [{ key: 'app', operator: 'NotIn', values: ['web'] }] } }] }],
    });
    expect(evaluator(notWeb).isAllowed(web, db, { port: 5432 })).toBe(false);
    expect(evaluator(notWeb).isAllowed({ ...web, labels: { app: 'job' } }, db, { port: 5432 })).toBe(true);
  });

  it('builds a connectivity table from manifests', () => {
    const dbSpec = restrictedPodSpec();
    dbSpec.containers[0]!.ports = [{ name: 'pg', containerPort: 5432 }];
    const objects = [deployment('web', { app: 'web' }), deployment('db', { app: 'db' }, dbSpec), denyAll, webToDb, dbFromWeb];
    const [webPod, dbPod] = podEndpoints(objects);
    const rows = connectivityTable(new NetworkPolicyEvaluator(objects), [webPod!, dbPod!], [webPod!, dbPod!, internet], [{ port: 5432 }, { port: 443 }]);
    expect(formatAllowed(rows)).toEqual(['shop/web -> shop/db:5432/TCP']);
  });
});

describe('cidrContains', () => {
  it.each([
    ['10.0.0.0/8', '10.255.1.1', true],
    ['10.0.0.0/8', '11.0.0.1', false],
    ['0.0.0.0/0', '93.184.216.34', true],
    ['::/0', '93.184.216.34', false],
    ['fc00::/7', 'fd12:3456::1', true],
    ['fe80::/10', 'fe80::1', true],
    ['2001:db8::/32', '2001:db9::1', false],
    ['::ffff:0:0/96', '::ffff:10.0.0.1', true],
  ])('%s contains %s: %s', (cidr, address, expected) => {
    expect(cidrContains(cidr, address)).toBe(expected);
  });

  it('fails on malformed input', () => {
    expect(() => cidrContains('10.0.0.0', '10.0.0.1')).toThrow(/not a CIDR/);
    expect(() => cidrContains('10.0.0.0/33', '10.0.0.1')).toThrow(/out of range/);
    expect(() => cidrContains('10.0.0.0/8', '10.0.0.256')).toThrow(/not an IP/);
  });
});
