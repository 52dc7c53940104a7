import { vi } from 'vitest';

// Starting an embedded database compiles PostgreSQL's WebAssembly: slow on a busy CI machine.
vi.setConfig({ testTimeout: 30_000, hookTimeout: 180_000 });
