/**
 * Which pods hold which credential: the docs name them (charts/README.md), so a change here must
 * change the docs too. No pod but the StatefulSet database (whose image bootstraps with it) holds a
 * superuser credential; CloudNativePG has none at all. The owner (not a superuser) is held by the
 * migration, and by the StatefulSet, whose init script creates it; the API and link-preview never.
 */
import { describe, expect, it } from 'vitest';
import { SECRETS } from '../src/contract.js';
import { ALL_VARIANTS, manifestsOf, variantName } from './natter-cluster.js';
import { podTemplates } from '@natter/kube-check';

describe.each(ALL_VARIANTS.map((profile) => [variantName(profile), profile] as const))('Secret holders (%s)', (_, profile) => {
  const templates = podTemplates(manifestsOf(profile));
  const holders = (secretName: string) =>
    templates
      .filter((template) => (template.spec.volumes ?? []).some((volume) => volume.secret?.secretName === secretName))
      .map((template) => `${template.ownerKind}/${template.name}`)
      .sort();

  const statefulset = profile.database.engine === 'statefulset';

  it('mounts a superuser credential nowhere but in the StatefulSet database, for its own bootstrap (CloudNativePG: nowhere)', () => {
    expect(holders(SECRETS.databaseSuperuser.secretName)).toEqual(statefulset ? ['StatefulSet/natter-database'] : []);
    const mounted = templates.flatMap((template) => (template.spec.volumes ?? []).flatMap((volume) => (volume.secret?.secretName ? [volume.secret.secretName] : [])));
    expect(mounted.filter((name) => /superuser/.test(name) && name !== SECRETS.databaseSuperuser.secretName)).toEqual([]);
    if (statefulset) {
      const database = templates.find((template) => template.ownerKind === 'StatefulSet')!;
      const env = database.spec.containers[0]!.env ?? [];
      // The image reads POSTGRES_PASSWORD_FILE only to initialise a new data directory.
      expect(env.filter((variable) => variable.value?.includes(SECRETS.databaseSuperuser.secretName)).map((variable) => variable.name)).toEqual(['POSTGRES_PASSWORD_FILE']);
    }
  });

  it('mounts the owner password in the migration Job (and the StatefulSet database that initialises with it) only', () => {
    expect(holders(SECRETS.databaseOwner.secretName)).toEqual(['Job/natter-database-migration', ...(statefulset ? ['StatefulSet/natter-database'] : [])]);
  });

  it('mounts the API role password in the API (which uses it) and, where the database does not set it, the migration only', () => {
    expect(holders(SECRETS.databaseApiUser.secretName)).toEqual(['Deployment/natter-api', ...(statefulset ? ['Job/natter-database-migration'] : [])]);
  });

  it('mounts only the certificate of the CloudNativePG CA, never its key, and only in the database clients', () => {
    const caKeys = templates.flatMap((template) =>
      (template.spec.volumes ?? []).filter((volume) => volume.secret?.secretName === 'natter-database-ca').map((volume) => `${template.name}:${(volume.secret?.items ?? []).map((item) => item.key).join(',')}`),
    );
    expect(caKeys.sort()).toEqual(statefulset ? [] : ['natter-api:ca.crt', 'natter-database-migration:ca.crt']);
  });

  it('mounts the HMAC key in the API only', () => {
    expect(holders(SECRETS.hmacKey.secretName)).toEqual(['Deployment/natter-api']);
  });

  it('passes no Secret through environment variables', () => {
    for (const template of templates) {
      for (const container of [...(template.spec.initContainers ?? []), ...template.spec.containers]) {
        expect((container.env ?? []).filter((variable) => variable.valueFrom?.secretKeyRef !== undefined), template.owner).toEqual([]);
        expect((container.envFrom ?? []).filter((source) => source.secretRef !== undefined), template.owner).toEqual([]);
      }
    }
  });
});
