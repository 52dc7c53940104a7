import { App } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { NatterChart } from '../src/natter-chart.js';
import { DEV, type NatterProfile, PROD } from '../src/profiles.js';

function synth(profile: NatterProfile): void {
  new NatterChart(new App({ outdir: '/nonexistent' }), 'natter', { profile });
}

describe('NatterChart', () => {
  it('synthesizes both shipped profiles', () => {
    expect(() => synth(DEV)).not.toThrow();
    expect(() => synth(PROD)).not.toThrow();
  });

  it('fails when a digest-pinned profile gets an image by tag', () => {
    expect(() => synth({ ...PROD, images: { ...PROD.images, natterApi: 'natter-api:1.2.3' } })).toThrow(
      "profile prod: images.natterApi must be pinned by digest (name@sha256:<64 hex>), got 'natter-api:1.2.3'",
    );
  });

  it('fails when the node port has no admitted clients, or clients have no node port', () => {
    expect(() => synth({ ...DEV, nodePortClientCidrs: [] })).toThrow(/apiNodePort 30567 is unreachable under default-deny/);
    expect(() => synth({ ...PROD, nodePortClientCidrs: ['0.0.0.0/0'] })).toThrow(/would open the API to them without a node port/);
    expect(() => synth({ ...DEV, nodePortClientCidrs: ['minikube'] })).toThrow(/'minikube' is not a CIDR/);
  });

  it('fails when replicas is not a positive integer', () => {
    expect(() => synth({ ...DEV, replicas: 0 })).toThrow(/replicas must be an integer >= 1, got 0/);
  });
});
