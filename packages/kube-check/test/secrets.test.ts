import { describe, expect, it } from 'vitest';
import { deployment, restrictedPodSpec } from './fixtures.js';
import { findLiterals, findSecretMaterial } from '../src/secrets.js';

describe('findSecretMaterial', () => {
  it('passes secret references and *_FILE paths', () => {
    const spec = restrictedPodSpec();
    spec.containers[0]!.env = [
      { name: 'DATABASE_PASSWORD_FILE', value: '/var/run/secrets/app/password' },
      { name: 'API_TOKEN', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } },
      { name: 'LOG_LEVEL', value: 'info' },
    ];
    expect(findSecretMaterial([deployment('web', { app: 'web' }, spec), { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'empty' } }])).toEqual([]);
  });

  it('fails on a Secret with data or stringData', () => {
    expect(findSecretMaterial([{ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db' }, stringData: { password: 'x' } }])).toEqual([
      'Secret/db: Secret carries data (password)',
    ]);
  });

  it('fails on a literal password in env, a URL with credentials and a private key', () => {
    const spec = restrictedPodSpec();
    spec.containers[0]!.env = [
      { name: 'POSTGRES_PASSWORD', value: 'hunter2' },
      { name: 'DATABASE_URL', value: 'postgres://natter:hunter2@db:5432/natter' },
    ];
    spec.containers[0]!.args = ['-----BEGIN RSA PRIVATE KEY-----'];
    const findings = findSecretMaterial([deployment('web', { app: 'web' }, spec)]);
    expect(findings).toHaveLength(3);
    expect(findings.join('\n')).toMatch(/POSTGRES_PASSWORD has a literal value/);
    expect(findings.join('\n')).toMatch(/embeds credentials in a URL/);
    expect(findings.join('\n')).toMatch(/private key/);
  });

  it('fails on a ConfigMap key that looks like a secret', () => {
    expect(findSecretMaterial([{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { db_password: 'x' } }])).toHaveLength(1);
  });
});

describe('findLiterals', () => {
  it('reports known secret values found in rendered text', () => {
    expect(findLiterals('password: natter-ci\n', ['natter-ci', 'other'])).toEqual(['natter-ci']);
  });
});
