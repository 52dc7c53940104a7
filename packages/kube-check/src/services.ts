import { mapSelectorMatches } from './labels.js';
import { type Manifest, type PodTemplate, namespaceOf, objectId, podTemplates } from './manifest.js';

interface ServicePort {
  readonly name?: string;
  readonly port: number;
  readonly targetPort?: number | string;
  readonly protocol?: string;
}

/**
 * Every Service must select at least one pod template in its namespace, and each of its ports must
 * land on a container port of EVERY selected template (numeric targetPort = containerPort, named
 * targetPort = port name, same protocol). Returns one message per problem.
 */
export function checkServiceWiring(objects: readonly Manifest[]): string[] {
  const templates = podTemplates(objects);
  const problems: string[] = [];
  for (const service of objects.filter((object) => object.kind === 'Service')) {
    const id = objectId(service);
    const spec = (service.spec ?? {}) as { selector?: Record<string, string>; ports?: ServicePort[]; type?: string };
    if (spec.type === 'ExternalName') continue;
    const selector = spec.selector ?? {};
    if (Object.keys(selector).length === 0) {
      problems.push(`${id}: has no selector (it would need hand-made Endpoints)`);
      continue;
    }
    const selected = templates.filter((template) => template.namespace === namespaceOf(service) && mapSelectorMatches(selector, template.labels));
    if (selected.length === 0) {
      problems.push(`${id}: selector ${JSON.stringify(selector)} matches no pod template`);
      continue;
    }
    for (const port of spec.ports ?? []) {
      for (const template of selected) {
        if (!exposesPort(template, port)) {
          problems.push(`${id}: targetPort ${String(port.targetPort ?? port.port)}/${port.protocol ?? 'TCP'} is not a containerPort of ${template.owner}`);
        }
      }
    }
  }
  return problems;
}

function exposesPort(template: PodTemplate, port: ServicePort): boolean {
  const target = port.targetPort ?? port.port;
  const protocol = port.protocol ?? 'TCP';
  return template.spec.containers.some((container) =>
    (container.ports ?? []).some(
      (containerPort) =>
        (containerPort.protocol ?? 'TCP') === protocol &&
        (typeof target === 'number' ? containerPort.containerPort === target : containerPort.name === target),
    ),
  );
}

/** The Services whose selector matches a template (used to map policies/flows to Services). */
export function servicesSelecting(objects: readonly Manifest[], template: PodTemplate): string[] {
  return objects
    .filter((object) => object.kind === 'Service' && namespaceOf(object) === template.namespace)
    .filter((service) => {
      const selector = ((service.spec ?? {}) as { selector?: Record<string, string> }).selector ?? {};
      return Object.keys(selector).length > 0 && mapSelectorMatches(selector, template.labels);
    })
    .map((service) => service.metadata?.name ?? '');
}
