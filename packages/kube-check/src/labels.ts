import type { INetworkPolicySpec } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicySpec';

/** meta/v1 LabelSelector (reached through a kubernetes-models type; apimachinery is not a direct dependency). */
export type LabelSelector = INetworkPolicySpec['podSelector'];

export type Labels = Readonly<Record<string, string>>;

/**
 * Kubernetes label-selector semantics: an empty selector `{}` matches everything; `matchLabels`
 * and every `matchExpressions` entry must all hold. (An absent selector is handled by the caller,
 * because its meaning differs by field.)
 */
export function selectorMatches(selector: LabelSelector, labels: Labels): boolean {
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    if (labels[key] !== value) return false;
  }
  for (const expression of selector.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, expression.key);
    const value = labels[expression.key];
    const values = expression.values ?? [];
    switch (expression.operator) {
      case 'In':
        if (!has || !values.includes(value as string)) return false;
        break;
      case 'NotIn':
        if (has && values.includes(value as string)) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      default:
        throw new Error(`unknown label selector operator ${JSON.stringify(expression.operator)}`);
    }
  }
  return true;
}

/** A Service's `spec.selector` map: every pair must be present. An empty map selects nothing useful. */
export function mapSelectorMatches(selector: Labels, labels: Labels): boolean {
  return Object.entries(selector).every(([key, value]) => labels[key] === value);
}
