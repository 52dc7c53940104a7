/** The pod `securityContext.appArmorProfile` field (Kubernetes >= 1.30), as rendered. */
export interface AppArmorProfileField {
  /** `RuntimeDefault` or `Localhost`. */
  readonly type: string;
  /**
   * Name of the profile loaded on the node; only with `Localhost`.
   * @default - none
   */
  readonly localhostProfile?: string;
}

/**
 * The AppArmor profile a hardened pod's containers run under, set in the pod's
 * `securityContext.appArmorProfile` (a Kubernetes 1.30 field that cdk8s-plus-27's types lack, so it
 * is added with a JSON patch on the workload's `Resource`).
 *
 * An explicit profile makes AppArmor fail closed: the kubelet refuses the pod on a node without
 * AppArmor ("Cannot enforce AppArmor: AppArmor is not enabled on the host") instead of running it
 * unconfined. Nodes without AppArmor include SELinux distributions (RHEL family, Amazon Linux 2023,
 * Bottlerocket), kind, and minikube's VM and Docker Desktop drivers; there, and on Kubernetes < 1.30
 * (whose API server rejects the unknown field under kubectl's strict validation), use `notSpecified()`.
 */
export class AppArmorProfile {
  /** The container runtime's default profile (what Pod Security "baseline" and "restricted" allow). */
  public static runtimeDefault(): AppArmorProfile {
    return new AppArmorProfile({ type: 'RuntimeDefault' });
  }

  /** A profile already loaded on every node the pod can run on, by its loaded name. */
  public static localhost(profileName: string): AppArmorProfile {
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(profileName)) {
      throw new Error(`AppArmor localhost profile name must be letters, digits, '.', '_' or '-', got '${profileName}'`);
    }
    return new AppArmorProfile({ type: 'Localhost', localhostProfile: profileName });
  }

  /**
   * Relaxation: leave the field out. On nodes with AppArmor the runtime still applies its default
   * profile to unprivileged containers; on nodes without it the pod runs without AppArmor.
   */
  public static notSpecified(): AppArmorProfile {
    return new AppArmorProfile(undefined);
  }

  private constructor(
    /** The rendered field, or undefined when it is left out. */
    public readonly field: AppArmorProfileField | undefined,
  ) {}
}
