import { App } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { NatterChart } from '../src/natter-chart.js';
import { type NatterProfile, SettingsError } from '../src/profiles.js';
import { PROFILES } from './natter-cluster.js';

function synth(profile: NatterProfile): void {
  new NatterChart(new App({ outdir: '/nonexistent' }), 'natter', { profile });
}

describe('NatterChart', () => {
  it.each(PROFILES.map((profile) => [profile.name, profile] as const))('synthesizes the %s profile', (_, profile) => {
    expect(() => synth(profile)).not.toThrow();
  });

  it('fails, naming the profile and the field, when a profile changed in code breaks the model', () => {
    const profile = PROFILES[0]!;
    const broken = { ...profile, api: { ...profile.api, replicas: 0 } };
    expect(() => synth(broken)).toThrow(SettingsError);
    expect(() => synth(broken)).toThrow(`profile ${profile.name}: invalid setting\n  api.replicas: must be >= 1, got 0`);
  });

  it('fails when a digest-pinned profile gets an image by tag', () => {
    const profile = PROFILES[0]!;
    const broken = { ...profile, images: { ...profile.images, requireDigest: true, natterApi: 'natter-api:1.2.3' } };
    expect(() => synth(broken)).toThrow(/images\.natterApi: must be pinned by digest \(name@sha256:<64 hex>\) because images\.requireDigest is true, got 'natter-api:1\.2\.3'/);
  });
});
