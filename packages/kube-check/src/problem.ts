/** One thing wrong with one object, with the field it concerns (dotted path, `-` for the whole object). */
export interface Problem {
  /** `Kind/namespace/name`. */
  readonly object: string;
  readonly field: string;
  readonly message: string;
}

/** The `Kind/ns/name: message` form the string-returning checkers have always used. */
export function problemText(problem: Problem): string {
  return `${problem.object}: ${problem.message}`;
}

/** `/spec/template/spec/containers/0/image` (JSON pointer) → `spec.template.spec.containers[0].image`. */
export function pointerToField(pointer: string): string {
  const parts = pointer.split('/').filter((part) => part !== '').map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (parts.length === 0) return '-';
  return parts.reduce((field, part) => (/^\d+$/.test(part) ? `${field}[${part}]` : field === '' ? part : `${field}.${part}`), '');
}
