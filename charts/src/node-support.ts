import { AppArmorProfile } from '@natter/constructs';

/**
 * AppArmor profile of every Natter pod. The constructs default to `RuntimeDefault`, which the
 * kubelet enforces fail-closed: on a node without AppArmor (minikube's VM and Docker Desktop
 * drivers, kind, SELinux distributions such as Amazon Linux 2023 or RHEL) it refuses the pod, and
 * API servers before Kubernetes 1.30 reject the field. Until a profile says its nodes have AppArmor
 * and run Kubernetes >= 1.30, the chart leaves the field out; the container runtime still applies its
 * default AppArmor profile on every node that has AppArmor.
 */
export const POD_APPARMOR_PROFILE = AppArmorProfile.notSpecified();
