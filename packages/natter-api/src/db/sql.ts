/** A role or object name we are willing to splice into DDL (PostgreSQL cannot bind identifiers). */
export const ROLE_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** Quotes a SQL identifier for DDL. Callers validate against {@link ROLE_NAME} first. */
export function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
