// Internal: JSON patches that survive cdk8s-plus-27's generated serializers.
import { JsonPatch, type ApiObject } from 'cdk8s';

/**
 * Applies `patches` after the object's own `toJson()`. The generated `k8s.Kube*` classes of
 * cdk8s-plus-27 re-serialize the object against the Kubernetes 1.27 schema after
 * `ApiObject.addJsonPatch` has run, which silently drops every newer field (e.g. the pod's
 * `securityContext.appArmorProfile`, Kubernetes 1.30); patches added here come last.
 */
export function addPatchAfterSerialization(object: ApiObject, ...patches: JsonPatch[]): void {
  const serialize = object.toJson.bind(object);
  object.toJson = () => JsonPatch.apply(serialize(), ...patches);
}
