import { describe, expect, it } from 'vitest';
import { AppArmorProfile, HardenedJob, JobRestartPolicy, jobBackoffSeconds } from '../src/index.js';
import { chartIn, expectRestrictedPod, expectSchemaValid, only, podSpec, synth } from './helpers.js';

const IMAGE = 'natter-api:dev';

describe('HardenedJob', () => {
  it('renders a hardened one-shot Job with its own ServiceAccount', () => {
    const chart = chartIn();
    new HardenedJob(chart, 'migrate', { image: IMAGE, command: ['node', '/app/migrate.mjs'] });
    const manifests = synth(chart);

    expect(manifests).toMatchSnapshot();
    expectSchemaValid(manifests);
    const job = only(manifests, 'Job', 'migrate');
    expectRestrictedPod(podSpec(job));
    expect(job.spec).toMatchObject({ backoffLimit: 3, ttlSecondsAfterFinished: 3600, activeDeadlineSeconds: 600 });
    expect(podSpec(job).restartPolicy).toBe('Never');
    expect(podSpec(job).serviceAccountName).toBe('migrate');
    expect(job.spec.template.metadata.labels).toEqual({ app: 'migrate' });
    expect(job.spec.selector).toBeUndefined();
    expect(only(manifests, 'ServiceAccount', 'migrate').automountServiceAccountToken).toBe(false);
  });

  it('mounts owner credentials as files for a migration step', () => {
    const chart = chartIn();
    const migrate = new HardenedJob(chart, 'migrate', {
      image: IMAGE,
      restartPolicy: JobRestartPolicy.ON_FAILURE,
      backoffLimit: 1,
      ttlSecondsAfterFinished: 0,
      activeDeadlineSeconds: 120,
      secretsDirectory: '/var/run/secrets/natter',
      secretFiles: [{ secretName: 'natter-database-owner', key: 'password' }],
    });
    migrate.addEnv('DATABASE_OWNER_PASSWORD_FILE', migrate.secretFilePath('natter-database-owner', 'password'));
    const job = only(synth(chart), 'Job');
    const spec = podSpec(job);
    expect(job.spec).toMatchObject({ backoffLimit: 1, ttlSecondsAfterFinished: 0, activeDeadlineSeconds: 120 });
    expect(spec.restartPolicy).toBe('OnFailure');
    expect(spec.containers[0].env).toEqual([
      { name: 'DATABASE_OWNER_PASSWORD_FILE', value: '/var/run/secrets/natter/natter-database-owner/password' },
    ]);
    expect(spec.containers[0].volumeMounts).toContainEqual({
      name: 'secret-natter-database-owner',
      mountPath: '/var/run/secrets/natter/natter-database-owner',
      readOnly: true,
    });
    expect(JSON.stringify(job)).not.toMatch(/stringData|"data"/);
  });

  it('adds up the back-off between attempts as the Job controller and the kubelet wait', () => {
    expect(jobBackoffSeconds(0)).toBe(0);
    expect(jobBackoffSeconds(3)).toBe(10 + 20 + 40);
    expect(jobBackoffSeconds(6)).toBe(630);
    // Pod failures back off up to 6 minutes, container restarts up to 5.
    expect(jobBackoffSeconds(7)).toBe(630 + 360);
    expect(jobBackoffSeconds(7, JobRestartPolicy.ON_FAILURE)).toBe(310 + 300 + 300);
  });

  it('accepts the largest back-off that fits in the deadline', () => {
    const chart = chartIn();
    new HardenedJob(chart, 'migrate', { image: IMAGE, backoffLimit: 5, activeDeadlineSeconds: 311 });
    expect(only(synth(chart), 'Job').spec).toMatchObject({ backoffLimit: 5, activeDeadlineSeconds: 311 });
  });

  it('sets the pod AppArmor profile on the Job template too', () => {
    const chart = chartIn();
    new HardenedJob(chart, 'migrate', { image: IMAGE });
    new HardenedJob(chart, 'plain', { image: IMAGE, appArmorProfile: AppArmorProfile.notSpecified() });
    const manifests = synth(chart);
    expect(podSpec(only(manifests, 'Job', 'migrate')).securityContext.appArmorProfile).toEqual({ type: 'RuntimeDefault' });
    expect(podSpec(only(manifests, 'Job', 'plain')).securityContext).not.toHaveProperty('appArmorProfile');
  });

  describe('fails when', () => {
    it.each([
      ['backoffLimit is negative', { backoffLimit: -1 }, /backoffLimit must be an integer >= 0, got -1/],
      ['ttlSecondsAfterFinished is fractional', { ttlSecondsAfterFinished: 1.5 }, /ttlSecondsAfterFinished must be an integer >= 0, got 1.5/],
      ['activeDeadlineSeconds is zero', { activeDeadlineSeconds: 0 }, /activeDeadlineSeconds must be an integer >= 1, got 0/],
      [
        'the back-off between retries exceeds the deadline (10 s … 320 s = 630 s > 600 s)',
        { backoffLimit: 6 },
        /backoffLimit 6 waits 630 s between attempts, which does not fit in activeDeadlineSeconds 600/,
      ],
      ['the back-off fills the deadline exactly', { backoffLimit: 5, activeDeadlineSeconds: 310 }, /backoffLimit 5 waits 310 s/],
      ['in-place restarts back off past the deadline', { backoffLimit: 4, activeDeadlineSeconds: 100, restartPolicy: JobRestartPolicy.ON_FAILURE }, /backoffLimit 4 waits 150 s/],
      ['the image is empty', { image: '' }, /image must be a non-empty image reference/],
      ['runAsGroup is below 10001', { runAsGroup: 1000 }, /runAsGroup must be an integer >= 10001, got 1000/],
    ])('%s', (_name, extra, message) => {
      expect(() => new HardenedJob(chartIn(), 'migrate', { image: IMAGE, ...extra })).toThrow(message);
    });
  });
});
