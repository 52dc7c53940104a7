import { NetworkPolicyEvaluator, podEndpoints } from '@natter/kube-check';
import { describe, expect, it } from 'vitest';
import {
  DnsResolver,
  HardenedDeployment,
  HardenedJob,
  HardenedNamespace,
  LockedDownPolicy,
  NamespacePeer,
  NON_PUBLIC_IPV4_CIDRS,
  NON_PUBLIC_IPV6_CIDRS,
  Port,
} from '../src/index.js';
import { chartIn, expectSchemaValid, only, synth, type Manifest } from './helpers.js';

function setup(namespace: string | null = 'apps') {
  const chart = chartIn(namespace);
  const api = new HardenedDeployment(chart, 'api', { image: 'api:dev', ports: [{ name: 'http', number: 4567 }] });
  const db = new HardenedDeployment(chart, 'db', { image: 'db:dev', ports: [{ name: 'pg', number: 5432 }] });
  const policy = new LockedDownPolicy(chart, 'Policy');
  return { chart, api, db, policy };
}

function policies(manifests: Manifest[]): Manifest[] {
  return manifests.filter((m) => m.kind === 'NetworkPolicy');
}

describe('LockedDownPolicy', () => {
  it('denies all ingress and egress in the namespace by default', () => {
    const { chart } = setup();
    const manifests = synth(chart);
    const deny = only(manifests, 'NetworkPolicy', 'default-deny-all');

    expect(deny).toMatchSnapshot();
    expectSchemaValid(manifests);
    expect(deny.metadata.namespace).toBe('apps');
    expect(deny.spec).toEqual({ podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
    expect(policies(manifests)).toHaveLength(1);
  });

  it('renders one readable policy per side of a flow, peers taken from the workloads', () => {
    const { chart, api, db, policy } = setup();
    policy.allowBetween(api, db, { ports: [Port.tcp(5432)] });
    const manifests = synth(chart);

    expect(only(manifests, 'NetworkPolicy', 'api-egress-to-db').spec).toEqual({
      podSelector: { matchLabels: api.selectorLabels },
      policyTypes: ['Egress'],
      egress: [{ to: [{ podSelector: { matchLabels: db.selectorLabels } }], ports: [{ protocol: 'TCP', port: 5432 }] }],
    });
    expect(only(manifests, 'NetworkPolicy', 'db-ingress-from-api').spec).toEqual({
      podSelector: { matchLabels: db.selectorLabels },
      policyTypes: ['Ingress'],
      ingress: [{ from: [{ podSelector: { matchLabels: api.selectorLabels } }], ports: [{ protocol: 'TCP', port: 5432 }] }],
    });
    expectSchemaValid(manifests);
  });

  it('allows one side at a time with allowFrom and allowTo', () => {
    const { chart, api, db, policy } = setup();
    const ingress = policy.allowFrom(api, { to: db, ports: [Port.tcp(5432)], name: 'db-accepts-api' });
    const egress = policy.allowTo(db, { from: api, ports: [Port.tcp(5432)] });
    const manifests = synth(chart);
    expect(policies(manifests).map((p) => p.metadata.name)).toEqual(['default-deny-all', 'db-accepts-api', 'api-egress-to-db']);
    expect(only(manifests, 'NetworkPolicy', 'db-accepts-api').spec.policyTypes).toEqual(['Ingress']);
    expect(ingress.name).toBe('db-accepts-api');
    expect(egress.name).toBe('api-egress-to-db');
  });

  it('selects a peer in another namespace by namespace name', () => {
    const { chart, api, policy } = setup();
    const batch = new HardenedJob(chart, 'report', { image: 'r:1', namespace: 'batch' });
    policy.allowFrom(batch, { to: api, ports: [Port.tcp(4567)] });
    const rule = only(synth(chart), 'NetworkPolicy', 'api-ingress-from-report');
    expect(rule.spec.ingress[0].from).toEqual([
      {
        podSelector: { matchLabels: { app: 'report' } },
        namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'batch' } },
      },
    ]);
  });

  it('allows ingress from another namespace, e.g. the ingress controller', () => {
    const { chart, api, policy } = setup();
    policy.allowFromNamespace(NamespacePeer.named('ingress-nginx'), { to: api, ports: [Port.tcp(4567)] });
    const rule = only(synth(chart), 'NetworkPolicy', 'api-ingress-from-ns-ingress-nginx');
    expect(rule.spec).toEqual({
      podSelector: { matchLabels: { app: 'api' } },
      policyTypes: ['Ingress'],
      ingress: [
        {
          from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } } }],
          ports: [{ protocol: 'TCP', port: 4567 }],
        },
      ],
    });
  });

  it('allows every pod to reach the Linkerd control plane', () => {
    const { chart, policy } = setup();
    const linkerd = new HardenedNamespace(chart, 'linkerd');
    policy.allowEgressToNamespace(NamespacePeer.of(linkerd), {
      ports: [Port.tcp(8080), Port.tcp(8086), Port.tcp(8090)],
    });
    const rule = only(synth(chart), 'NetworkPolicy', 'all-pods-egress-to-ns-linkerd');
    expect(rule.spec).toEqual({
      podSelector: {},
      policyTypes: ['Egress'],
      egress: [
        {
          to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'linkerd' } } }],
          ports: [8080, 8086, 8090].map((port) => ({ protocol: 'TCP', port })),
        },
      ],
    });
  });

  it('allows DNS to kube-dns only, over UDP and TCP 53', () => {
    const { chart, api, policy } = setup();
    policy.allowDnsEgress(api);
    policy.allowDnsEgress();
    const manifests = synth(chart);
    const rule = only(manifests, 'NetworkPolicy', 'api-egress-to-kube-dns');
    expect(rule.spec.podSelector).toEqual({ matchLabels: { app: 'api' } });
    expect(rule.spec.egress).toEqual([
      {
        to: [
          {
            namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } },
            podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
          },
        ],
        ports: [
          { protocol: 'UDP', port: 53 },
          { protocol: 'TCP', port: 53 },
        ],
      },
    ]);
    expect(only(manifests, 'NetworkPolicy', 'all-pods-egress-to-kube-dns').spec.podSelector).toEqual({});
  });

  it('opens NodeLocal DNSCache on its link-local address, and nothing else there, when given as a resolver', () => {
    const chart = chartIn('shop');
    const policy = new LockedDownPolicy(chart, 'Policy', { dnsResolvers: [DnsResolver.nodeLocalCache(), DnsResolver.kubeDns()] });
    const api = new HardenedDeployment(chart, 'api', { image: 'api:1' });
    policy.allowDnsEgress(api);
    const manifests = synth(chart);
    expectSchemaValid(manifests);
    const rule = only(manifests, 'NetworkPolicy', 'api-egress-to-node-local-dns-kube-dns');
    expect(rule.spec.egress[0]).toEqual({
      to: [{ ipBlock: { cidr: '169.254.20.10/32' } }],
      ports: [
        { protocol: 'UDP', port: 53 },
        { protocol: 'TCP', port: 53 },
      ],
    });
    const evaluator = new NetworkPolicyEvaluator(manifests as never, [{ name: 'shop' }, { name: 'kube-system' }]);
    const [pod] = podEndpoints(manifests as never);
    const at = (ip: string) => ({ kind: 'ip', ip }) as const;
    expect(evaluator.isAllowed(pod!, at('169.254.20.10'), { port: 53, protocol: 'UDP' })).toBe(true);
    expect(evaluator.isAllowed(pod!, at('169.254.20.10'), { port: 53 })).toBe(true);
    expect(evaluator.isAllowed(pod!, at('169.254.20.10'), { port: 80 })).toBe(false);
    expect(evaluator.isAllowed(pod!, at('169.254.169.254'), { port: 53, protocol: 'UDP' })).toBe(false);
    const coredns = { kind: 'pod', name: 'coredns', namespace: 'kube-system', labels: { 'k8s-app': 'kube-dns' }, ports: [] } as const;
    expect(evaluator.isAllowed(pod!, coredns, { port: 53, protocol: 'UDP' })).toBe(true);
  });

  it('finds kube-dns where a cluster runs it differently', () => {
    const chart = chartIn('shop');
    const policy = new LockedDownPolicy(chart, 'Policy', {
      dnsResolvers: [DnsResolver.kubeDns({ namespace: 'dns', podLabels: { app: 'coredns' }, port: 5353 })],
    });
    policy.allowDnsEgress();
    expect(only(synth(chart), 'NetworkPolicy', 'all-pods-egress-to-kube-dns').spec.egress).toEqual([
      {
        to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'dns' } }, podSelector: { matchLabels: { app: 'coredns' } } }],
        ports: [
          { protocol: 'UDP', port: 5353 },
          { protocol: 'TCP', port: 5353 },
        ],
      },
    ]);
  });

  it('allows the public internet minus every non-public range', () => {
    const { chart, api, policy } = setup();
    policy.allowPublicInternetEgress(api, { ports: [Port.tcp(80), Port.tcp(443)] });
    const manifests = synth(chart);
    const rule = only(manifests, 'NetworkPolicy', 'api-egress-to-public-internet');
    expect(rule.spec.policyTypes).toEqual(['Egress']);
    expect(rule.spec.egress[0].to).toEqual([
      { ipBlock: { cidr: '0.0.0.0/0', except: [...NON_PUBLIC_IPV4_CIDRS] } },
      { ipBlock: { cidr: '::/0', except: [...NON_PUBLIC_IPV6_CIDRS] } },
    ]);
    expect(rule.spec.egress[0].ports).toEqual([
      { protocol: 'TCP', port: 80 },
      { protocol: 'TCP', port: 443 },
    ]);
    expectSchemaValid(manifests);
  });

  it('puts every policy into an explicit namespace when given', () => {
    const chart = chartIn(null);
    const web = new HardenedDeployment(chart, 'web', { image: 'w:1', namespace: 'shop' });
    const policy = new LockedDownPolicy(chart, 'Policy', { namespace: 'shop', name: 'deny' });
    policy.allowDnsEgress(web);
    expect(policies(synth(chart)).map((p) => [p.metadata.name, p.metadata.namespace])).toEqual([
      ['deny', 'shop'],
      ['web-egress-to-kube-dns', 'shop'],
    ]);
  });

  describe('fails when', () => {
    it('no DNS resolver is given', () => {
      expect(() => new LockedDownPolicy(chartIn(), 'Policy', { dnsResolvers: [] })).toThrow(/dnsResolvers must not be empty/);
    });

    it('the NodeLocal DNSCache address is not an IP address', () => {
      expect(() => DnsResolver.nodeLocalCache({ address: 'node-local' })).toThrow(/must be an IP address, got 'node-local'/);
    });

    it('a rule opens no ports', () => {
      const { api, db, policy } = setup();
      expect(() => policy.allowFrom(api, { to: db, ports: [] })).toThrow(
        /ports of NetworkPolicy 'db-ingress-from-api' must not be empty \(that would open every port\)/,
      );
    });

    it('the subject runs in another namespace', () => {
      const { chart, api, policy } = setup();
      const other = new HardenedDeployment(chart, 'other', { image: 'o:1', namespace: 'elsewhere' });
      expect(() => policy.allowFrom(api, { to: other, ports: [Port.tcp(1)] })).toThrow(
        /other runs in namespace 'elsewhere' but this LockedDownPolicy covers 'apps'/,
      );
    });

    it('the same rule is defined twice', () => {
      const { api, policy } = setup();
      policy.allowDnsEgress(api);
      expect(() => policy.allowDnsEgress(api)).toThrow(/NetworkPolicy 'api-egress-to-kube-dns' is defined twice/);
    });

    it('an explicit rule name is invalid', () => {
      const { api, db, policy } = setup();
      expect(() => policy.allowTo(db, { from: api, ports: [Port.tcp(1)], name: 'Api_To_DB' })).toThrow(
        /NetworkPolicy name must be a lower-case DNS subdomain, got 'Api_To_DB'/,
      );
    });

    it('a peer in the default namespace meets a policy in a named one', () => {
      const chart = chartIn(null);
      const a = new HardenedDeployment(chart, 'a', { image: 'a:1', namespace: 'ns' });
      const b = new HardenedDeployment(chart, 'b', { image: 'b:1' });
      const policy = new LockedDownPolicy(chart, 'P', { namespace: 'ns' });
      expect(() => policy.allowFrom(b, { to: a, ports: [Port.tcp(1)] })).toThrow(/peer b has no namespace/);
    });
  });
});

describe('Port', () => {
  it('renders protocol and number', () => {
    expect(Port.tcp(5432)).toMatchObject({ protocol: 'TCP', port: 5432 });
    expect(Port.udp(53).toString()).toBe('UDP/53');
  });

  it.each([0, 65536, 1.5, Number.NaN])('fails when the port is %s', (port) => {
    expect(() => Port.tcp(port)).toThrow(/port must be an integer between 1 and 65535/);
  });
});

describe('NamespacePeer', () => {
  it('selects by labels and narrows to pods', () => {
    expect(NamespacePeer.labelled({ team: 'edge' }).withPods({ role: 'proxy' }).toPeer()).toEqual({
      namespaceSelector: { matchLabels: { team: 'edge' } },
      podSelector: { matchLabels: { role: 'proxy' } },
    });
  });

  it.each([
    ['the namespace name is empty', () => NamespacePeer.named(''), /namespace name must not be empty/],
    ['the namespace labels are empty', () => NamespacePeer.labelled({}), /an empty selector matches every namespace/],
    ['the pod labels are empty', () => NamespacePeer.named('x').withPods({}), /podLabels must not be empty/],
  ])('fails when %s', (_name, build, message) => {
    expect(build).toThrow(message);
  });
});

describe('LockedDownPolicy.allowFromCidrs', () => {
  it('admits fixed client ranges to a workload', () => {
    const { chart, api, policy } = setup();
    policy.allowFromCidrs(['192.168.49.0/24', 'fd00::/8'], { to: api, ports: [Port.tcp(4567)] });
    const manifests = synth(chart);
    expect(only(manifests, 'NetworkPolicy', 'api-ingress-from-cidrs').spec).toEqual({
      podSelector: { matchLabels: { app: 'api' } },
      policyTypes: ['Ingress'],
      ingress: [
        {
          from: [{ ipBlock: { cidr: '192.168.49.0/24' } }, { ipBlock: { cidr: 'fd00::/8' } }],
          ports: [{ protocol: 'TCP', port: 4567 }],
        },
      ],
    });
    expectSchemaValid(manifests);
  });

  it('fails when no CIDR is given', () => {
    const { api, policy } = setup();
    expect(() => policy.allowFromCidrs([], { to: api, ports: [Port.tcp(1)] })).toThrow(
      /cidrs of NetworkPolicy 'api-ingress-from-cidrs' must not be empty/,
    );
  });

  it('fails when a CIDR has host bits set', () => {
    const { api, policy } = setup();
    expect(() => policy.allowFromCidrs(['192.168.49.1/24'], { to: api, ports: [Port.tcp(1)] })).toThrow(
      /CIDR '192.168.49.1\/24' has host bits set/,
    );
  });
});

describe('LockedDownPolicy.allowEgressToCidrs', () => {
  it('lets a workload reach fixed address ranges on the given ports only', () => {
    const { chart, api, policy } = setup();
    policy.allowEgressToCidrs(['192.0.2.10/32', '2001:db8::/64'], { from: api, ports: [Port.tcp(6443)], name: 'api-egress-to-kubernetes-api-server' });
    const manifests = synth(chart);
    expect(only(manifests, 'NetworkPolicy', 'api-egress-to-kubernetes-api-server').spec).toEqual({
      podSelector: { matchLabels: { app: 'api' } },
      policyTypes: ['Egress'],
      egress: [
        {
          to: [{ ipBlock: { cidr: '192.0.2.10/32' } }, { ipBlock: { cidr: '2001:db8::/64' } }],
          ports: [{ protocol: 'TCP', port: 6443 }],
        },
      ],
    });
    expectSchemaValid(manifests);
  });

  it('fails when no CIDR is given', () => {
    const { api, policy } = setup();
    expect(() => policy.allowEgressToCidrs([], { from: api, ports: [Port.tcp(1)] })).toThrow(/cidrs of NetworkPolicy 'api-egress-to-cidrs' must not be empty/);
  });

  it('fails when a CIDR has host bits set', () => {
    const { api, policy } = setup();
    expect(() => policy.allowEgressToCidrs(['192.0.2.1/24'], { from: api, ports: [Port.tcp(1)] })).toThrow(/CIDR '192.0.2.1\/24' has host bits set/);
  });
});
