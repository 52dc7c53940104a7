import type { IContainer } from 'kubernetes-models/v1/Container';
import { type LabelSelector, selectorMatches } from '../labels.js';
import { type Manifest, type PodTemplate, namespaceOf, objectId, podTemplates } from '../manifest.js';
import { cloudNativePgSecrets, isCloudNativePgCluster } from '../cloudnative-pg.js';
import { serviceWiringProblems } from '../services.js';
import { type Finding, finding } from './finding.js';

/**
 * References between objects that the API server accepts but that break at run time: Service
 * selectors and target ports, probe ports, volume mounts, Secret/ConfigMap/ServiceAccount references,
 * workload and PodDisruptionBudget selectors, Ingress backends.
 */
export function wiringFindings(objects: readonly Manifest[]): Finding[] {
  const findings: Finding[] = serviceWiringProblems(objects).map((problem) => finding('FAIL', 'wiring', problem));
  const has = (kind: string, name: string, namespace: string): boolean =>
    objects.some((object) => object.kind === kind && object.metadata?.name === name && namespaceOf(object) === namespace);
  const secretSources = secretProviders(objects);
  const templates = podTemplates(objects);
  for (const template of templates) {
    const add = (severity: 'FAIL' | 'WARN', field: string, message: string): void => {
      findings.push(finding(severity, 'wiring', { object: template.owner, field, message }));
    };
    const at = template.specPath;
    // An operator selects the pods it makes and creates their ServiceAccount itself.
    if (template.createdByOperator) continue;
    const selector = ((template.source.spec ?? {}) as { selector?: LabelSelector }).selector;
    if (template.ownerKind !== 'Pod' && template.ownerKind !== 'Job' && template.ownerKind !== 'CronJob') {
      if (!selector) add('FAIL', 'spec.selector', 'has no selector');
      else if (!selectorMatches(selector, template.labels)) add('FAIL', 'spec.selector', `selector does not match the pod template's labels ${JSON.stringify(template.labels)}`);
    }
    const account = template.spec.serviceAccountName;
    if (account === undefined || account === 'default') {
      add('WARN', `${at}.serviceAccountName`, "runs as the namespace's default ServiceAccount: give it its own");
    } else if (!has('ServiceAccount', account, template.namespace)) {
      add('FAIL', `${at}.serviceAccountName`, `ServiceAccount ${account} is not among the manifests (pods are not created without it)`);
    }
    const volumes = new Map((template.spec.volumes ?? []).map((volume) => [volume.name, volume]));
    for (const volume of template.spec.volumes ?? []) {
      const field = `${at}.volumes[${volume.name}]`;
      if (volume.secret?.secretName && !volume.secret.optional) checkSecret(volume.secret.secretName, `${field}.secret.secretName`);
      if (volume.configMap?.name && !volume.configMap.optional && !has('ConfigMap', volume.configMap.name, template.namespace)) {
        add('FAIL', `${field}.configMap.name`, `ConfigMap ${volume.configMap.name} is not among the manifests`);
      }
      (volume.projected?.sources ?? []).forEach((source, index) => {
        if (source.secret?.name && !source.secret.optional) checkSecret(source.secret.name, `${field}.projected.sources[${index}].secret.name`);
        if (source.configMap?.name && !source.configMap.optional && !has('ConfigMap', source.configMap.name, template.namespace)) {
          add('FAIL', `${field}.projected.sources[${index}].configMap.name`, `ConfigMap ${source.configMap.name} is not among the manifests`);
        }
      });
      if (volume.persistentVolumeClaim?.claimName && !has('PersistentVolumeClaim', volume.persistentVolumeClaim.claimName, template.namespace)) {
        add('WARN', `${field}.persistentVolumeClaim.claimName`, `PersistentVolumeClaim ${volume.persistentVolumeClaim.claimName} is not among the manifests`);
      }
    }
    const claimTemplates = new Set((((template.source.spec ?? {}) as { volumeClaimTemplates?: { metadata?: { name?: string } }[] }).volumeClaimTemplates ?? []).map((claim) => claim.metadata?.name));
    for (const [field, container] of containersWithField(template)) {
      for (const mount of container.volumeMounts ?? []) {
        if (!volumes.has(mount.name) && !claimTemplates.has(mount.name)) add('FAIL', `${field}.volumeMounts[${mount.name}]`, `mounts volume ${mount.name}, which the pod does not define`);
      }
      for (const env of container.env ?? []) {
        const secretRef = env.valueFrom?.secretKeyRef;
        if (secretRef?.name && !secretRef.optional) checkSecret(secretRef.name, `${field}.env[${env.name}].valueFrom.secretKeyRef.name`);
        const configRef = env.valueFrom?.configMapKeyRef;
        if (configRef?.name && !configRef.optional && !has('ConfigMap', configRef.name, template.namespace)) {
          add('FAIL', `${field}.env[${env.name}].valueFrom.configMapKeyRef.name`, `ConfigMap ${configRef.name} is not among the manifests`);
        }
      }
      (container.envFrom ?? []).forEach((source, index) => {
        if (source.secretRef?.name && !source.secretRef.optional) checkSecret(source.secretRef.name, `${field}.envFrom[${index}].secretRef.name`);
        if (source.configMapRef?.name && !source.configMapRef.optional && !has('ConfigMap', source.configMapRef.name, template.namespace)) {
          add('FAIL', `${field}.envFrom[${index}].configMapRef.name`, `ConfigMap ${source.configMapRef.name} is not among the manifests`);
        }
      });
      const portNames = new Set((container.ports ?? []).flatMap((port) => (port.name ? [port.name] : [])));
      const portNumbers = new Set((container.ports ?? []).map((port) => port.containerPort));
      for (const probeName of ['startupProbe', 'readinessProbe', 'livenessProbe'] as const) {
        const probe = container[probeName];
        const port = probe?.httpGet?.port ?? probe?.tcpSocket?.port ?? probe?.grpc?.port;
        if (typeof port === 'string' && !/^\d+$/.test(port) && !portNames.has(port)) {
          add('FAIL', `${field}.${probeName}`, `probe port ${port} names no port of container ${container.name}`);
        } else if (typeof port === 'number' && !portNumbers.has(port)) {
          add('WARN', `${field}.${probeName}`, `probe port ${port} is not a declared containerPort of ${container.name}`);
        }
      }
    }

    function checkSecret(name: string, field: string): void {
      if (has('Secret', name, template.namespace) || secretSources.has(`${template.namespace}/${name}`)) return;
      add('WARN', field, `Secret ${name} is not among the manifests and nothing here creates it: create it before deploying (secrets stay out of git)`);
    }
  }

  for (const budget of objects.filter((object) => object.kind === 'PodDisruptionBudget')) {
    const selector = ((budget.spec ?? {}) as { selector?: LabelSelector }).selector;
    if (!selector || !templates.some((template) => template.namespace === namespaceOf(budget) && selectorMatches(selector, template.labels))) {
      findings.push(finding('FAIL', 'wiring', { object: objectId(budget), field: 'spec.selector', message: 'selects no pod template' }));
    }
  }
  for (const ingress of objects.filter((object) => object.kind === 'Ingress')) {
    findings.push(...ingressFindings(ingress, objects));
  }
  for (const set of objects.filter((object) => object.kind === 'StatefulSet')) {
    const serviceName = ((set.spec ?? {}) as { serviceName?: string }).serviceName;
    if (serviceName && !has('Service', serviceName, namespaceOf(set))) {
      findings.push(finding('WARN', 'wiring', { object: objectId(set), field: 'spec.serviceName', message: `governing Service ${serviceName} is not among the manifests` }));
    }
  }
  return findings;
}

function containersWithField(template: PodTemplate): [string, IContainer][] {
  return (['initContainers', 'containers'] as const).flatMap((list) =>
    (template.spec[list] ?? []).map((container): [string, IContainer] => [`${template.specPath}.${list}[${container.name}]`, container]));
}

/** `namespace/name` of Secrets that objects in the manifests create (External Secrets, cert-manager). */
function secretProviders(objects: readonly Manifest[]): Set<string> {
  const names = new Set<string>();
  for (const object of objects) {
    const spec = (object.spec ?? {}) as { target?: { name?: string }; secretName?: string };
    if (object.kind === 'ExternalSecret' && object.apiVersion.startsWith('external-secrets.io/')) names.add(`${namespaceOf(object)}/${spec.target?.name ?? object.metadata?.name}`);
    if (object.kind === 'Certificate' && object.apiVersion.startsWith('cert-manager.io/') && spec.secretName) names.add(`${namespaceOf(object)}/${spec.secretName}`);
    if (isCloudNativePgCluster(object)) for (const name of cloudNativePgSecrets(object)) names.add(`${namespaceOf(object)}/${name}`);
  }
  return names;
}

interface IngressBackend {
  service?: { name?: string; port?: { number?: number; name?: string } };
}

function ingressFindings(ingress: Manifest, objects: readonly Manifest[]): Finding[] {
  const spec = (ingress.spec ?? {}) as { defaultBackend?: IngressBackend; rules?: { http?: { paths?: { backend?: IngressBackend }[] } }[] };
  const backends: [string, IngressBackend][] = [
    ...(spec.defaultBackend ? [['spec.defaultBackend', spec.defaultBackend] as [string, IngressBackend]] : []),
    ...(spec.rules ?? []).flatMap((rule, ruleIndex) => (rule.http?.paths ?? []).map((path, pathIndex): [string, IngressBackend] => [`spec.rules[${ruleIndex}].http.paths[${pathIndex}].backend`, path.backend ?? {}])),
  ];
  const findings: Finding[] = [];
  for (const [field, backend] of backends) {
    if (!backend.service?.name) continue;
    const service = objects.find((object) => object.kind === 'Service' && object.metadata?.name === backend.service!.name && namespaceOf(object) === namespaceOf(ingress));
    if (!service) {
      findings.push(finding('FAIL', 'wiring', { object: objectId(ingress), field: `${field}.service.name`, message: `Service ${backend.service.name} is not among the manifests` }));
      continue;
    }
    const ports = ((service.spec ?? {}) as { ports?: { port?: number; name?: string }[] }).ports ?? [];
    const wanted = backend.service.port;
    if (wanted && !ports.some((port) => (wanted.number !== undefined ? port.port === wanted.number : port.name === wanted.name))) {
      findings.push(finding('FAIL', 'wiring', { object: objectId(ingress), field: `${field}.service.port`, message: `Service ${backend.service.name} has no port ${wanted.number ?? wanted.name}` }));
    }
  }
  return findings;
}
