import { AppArmorProfile } from '@natter/constructs';
import type { NatterProfile } from './profiles.js';

/**
 * The pod hardening that depends on what the nodes and the API server support, from the profile's
 * `pods` settings (defaults follow `kubernetesVersion`, charts/src/settings.ts):
 *
 * - `appArmorProfile: RuntimeDefault` (Kubernetes >= 1.30; cdk8s-plus-27's types lack the field,
 *   the constructs add it with a JSON patch after serialization). The kubelet enforces it fail-closed:
 *   on a node without AppArmor (minikube's VM and Docker Desktop drivers, kind, SELinux distributions
 *   such as Amazon Linux 2023 or RHEL) it refuses the pod, so a profile for such nodes sets
 *   `pods.appArmor: false`; the runtime still applies its default profile wherever AppArmor exists.
 * - `hostUsers: false` (user namespaces; on by default from Kubernetes 1.33): the pod's UIDs map to
 *   unprivileged IDs on the node. Needs containerd >= 2.0 or CRI-O >= 1.25, and Linux >= 6.3 with
 *   idmapped-mount support on every volume's filesystem (the database's claim included); a profile
 *   for other nodes sets `pods.userNamespaces: false`.
 */
export function nodeSupportProps(profile: NatterProfile): { appArmorProfile: AppArmorProfile; userNamespace: boolean } {
  return {
    appArmorProfile: profile.pods.appArmor ? AppArmorProfile.runtimeDefault() : AppArmorProfile.notSpecified(),
    userNamespace: profile.pods.userNamespaces,
  };
}
