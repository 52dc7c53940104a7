import { Protocol } from 'cdk8s-plus-27';

/**
 * A network port with its protocol, as used in NetworkPolicy rules.
 *
 * @example Port.tcp(5432)
 */
export class Port {
  /** A TCP port. */
  public static tcp(port: number): Port {
    return new Port(Protocol.TCP, port);
  }

  /** A UDP port. */
  public static udp(port: number): Port {
    return new Port(Protocol.UDP, port);
  }

  private constructor(
    /** Transport protocol (cdk8s-plus's `Protocol`). */
    public readonly protocol: Protocol,
    /** Port number, 1-65535. */
    public readonly port: number,
  ) {
    assertPortNumber('port', port);
  }

  /** Human-readable form, e.g. `TCP/5432`. */
  public toString(): string {
    return `${this.protocol}/${this.port}`;
  }
}

/** Throws unless `value` is an integer port number 1-65535. */
export function assertPortNumber(what: string, value: number): void {
  if (!Number.isInteger(value) || value < 1 || value > 65535) {
    throw new Error(`${what} must be an integer between 1 and 65535, got ${value}`);
  }
}
