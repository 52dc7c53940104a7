/** What every contender exposes to the runner: one preview per call, fields as strings. */
export interface PreviewFields {
  readonly title?: string | undefined;
  readonly description?: string | undefined;
  readonly image?: string | undefined;
}

export interface Contender {
  preview(url: string): Promise<PreviewFields>;
  close(): Promise<void>;
}

export interface ContenderContext {
  /** Port of the loopback fixture server (the core's port allowlist must include it). */
  readonly fixturePort: number;
}

export type ContenderFactory = (context: ContenderContext) => Promise<Contender>;

export type ContenderKind = 'core' | 'library' | 'floor' | 'reference';

export interface ContenderInfo {
  readonly id: string;
  readonly label: string;
  /** `library`: what people would otherwise use; `floor`: fastest possible, no checks; `reference`: DIY baseline. */
  readonly kind: ContenderKind;
  /** Loaded only inside that contender's own process, so its modules count only in its own RSS. */
  readonly load: () => Promise<{ create: ContenderFactory }>;
}
