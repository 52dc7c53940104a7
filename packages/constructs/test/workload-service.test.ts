import { describe, expect, it } from 'vitest';
import { ServiceType } from 'cdk8s-plus-27';
import { HardenedDeployment, WorkloadService } from '../src/index.js';
import { chartIn, expectSchemaValid, only, synth } from './helpers.js';

function api(chart = chartIn(), ports = [{ name: 'http', number: 4567 }]) {
  return new HardenedDeployment(chart, 'api', { image: 'api:dev', ports });
}

describe('WorkloadService', () => {
  it('selects the workload and targets its port by name', () => {
    const chart = chartIn('natter-api');
    const workload = api(chart);
    const service = workload.exposeViaService({ name: 'api-service', port: 80 });
    const manifests = synth(chart);
    const rendered = only(manifests, 'Service', 'api-service');

    expect(rendered).toMatchSnapshot();
    expectSchemaValid(manifests);
    expect(rendered.metadata.namespace).toBe('natter-api');
    expect(rendered.spec).toEqual({
      type: 'ClusterIP',
      selector: { app: 'api' },
      ports: [{ name: 'http', protocol: 'TCP', port: 80, targetPort: 'http' }],
    });
    expect(rendered.spec.selector).toEqual(only(manifests, 'Deployment').spec.template.metadata.labels);
    expect(rendered.spec.externalIPs).toBeUndefined();
    expect(service.node.findChild('Resource')).toBe(service.resource);
  });

  it('renders a fixed NodePort', () => {
    const chart = chartIn();
    api(chart).exposeViaService({ name: 'api-service', port: 4567, type: ServiceType.NODE_PORT, nodePort: 30567 });
    const rendered = only(synth(chart), 'Service');
    expect(rendered.spec.type).toBe('NodePort');
    expect(rendered.spec.ports[0].nodePort).toBe(30567);
  });

  it('chooses among several ports by name or number', () => {
    const chart = chartIn();
    const workload = api(chart, [
      { name: 'http', number: 4567 },
      { name: 'admin', number: 9990 },
    ]);
    expect(workload.exposeViaService({ name: 'a', port: 1, targetPort: 'admin' }).targetPort.number).toBe(9990);
    expect(workload.exposeViaService({ name: 'b', port: 1, targetPort: 4567 }).targetPort.name).toBe('http');
  });

  it('knows its in-cluster host names and URL', () => {
    const service = api(chartIn('natter-api')).exposeViaService({ name: 'api-service', port: 4567 });
    expect(service.clusterDnsName()).toBe('api-service.natter-api.svc.cluster.local');
    expect(service.inClusterHosts()).toEqual([
      'api-service:4567',
      'api-service.natter-api:4567',
      'api-service.natter-api.svc:4567',
      'api-service.natter-api.svc.cluster.local:4567',
    ]);
    expect(service.url()).toBe('http://api-service.natter-api.svc.cluster.local:4567');
  });

  it('can be constructed directly in another scope', () => {
    const chart = chartIn();
    const workload = api(chart);
    const service = new WorkloadService(chart, 'Svc', { workload, name: 'api-direct', port: 8080 });
    expect(only(synth(chart), 'Service', 'api-direct').spec.selector).toEqual(workload.selectorLabels);
    expect(service.workload).toBe(workload);
  });

  describe('fails when', () => {
    it('nodePort is set without the NodePort type', () => {
      expect(() => api().exposeViaService({ name: 's', port: 80, nodePort: 30567 })).toThrow(
        /nodePort is only valid with type ServiceType.NODE_PORT, got nodePort 30567 with type ClusterIP/,
      );
    });

    it.each([ServiceType.LOAD_BALANCER, ServiceType.EXTERNAL_NAME])('the type is %s', (type) => {
      expect(() => api().exposeViaService({ name: 's', port: 80, type })).toThrow(
        new RegExp(`Service type must be one of ClusterIP, NodePort, got ${type}; publish the workload through a HardenedIngress`),
      );
    });

    it('nodePort is outside 30000-32767', () => {
      expect(() =>
        api().exposeViaService({ name: 's', port: 80, type: ServiceType.NODE_PORT, nodePort: 8080 }),
      ).toThrow(/nodePort must be an integer in 30000-32767, got 8080/);
    });

    it('the target port is not declared by the workload', () => {
      expect(() => api().exposeViaService({ name: 's', port: 80, targetPort: 'grpc' })).toThrow(
        /targetPort grpc is not a container port of api \(declared: http=4567\)/,
      );
    });

    it('the workload has several ports and none is chosen', () => {
      const workload = api(chartIn(), [
        { name: 'http', number: 1 },
        { name: 'admin', number: 2 },
      ]);
      expect(() => workload.exposeViaService({ name: 's', port: 80 })).toThrow(/pass targetPort to choose exactly one/);
    });

    it('the workload has no ports', () => {
      expect(() => api(chartIn(), []).exposeViaService({ name: 's', port: 80 })).toThrow(/declares ports \[none\]/);
    });

    it('the name is not an RFC 1035 label', () => {
      expect(() => api().exposeViaService({ name: '4567-api', port: 80 })).toThrow(/Service name must be an RFC 1035 label/);
    });

    it('the port is out of range', () => {
      expect(() => api().exposeViaService({ name: 's', port: 0 })).toThrow(/Service port must be an integer between 1 and 65535, got 0/);
    });

    it('a host name is asked for without a namespace', () => {
      const service = api(chartIn(null)).exposeViaService({ name: 's', port: 80 });
      expect(() => service.clusterDnsName()).toThrow(/Service s has no namespace/);
    });
  });
});
