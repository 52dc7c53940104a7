import { createTwoFilesPatch } from 'diff';
import { stringify } from 'yaml';
import { type Manifest, objectId } from '../manifest.js';
import { sortKeys } from './security-diff.js';

/**
 * The plain diff after the security summary: one unified diff per object that was added, removed
 * or changed, over YAML with sorted keys — so moving objects around a file or reordering keys shows
 * nothing. Objects are matched by `Kind/namespace/name` (after renames).
 */
export function objectDiff(before: readonly Manifest[], after: readonly Manifest[], renames: ReadonlyMap<string, string>): string[] {
  const text = (object: Manifest | undefined): string => (object ? stringify(sortKeys(object), { lineWidth: 0 }) : '');
  const beforeById = new Map(before.map((object) => [renames.get(objectId(object)) ?? objectId(object), object]));
  const afterById = new Map(after.map((object) => [objectId(object), object]));
  const ids = [...new Set([...beforeById.keys(), ...afterById.keys()])].sort();
  const patches: string[] = [];
  for (const id of ids) {
    const old = beforeById.get(id);
    const now = afterById.get(id);
    const oldText = text(old);
    const newText = text(now);
    if (oldText === newText) continue;
    const oldName = old ? objectId(old) : '/dev/null';
    patches.push(createTwoFilesPatch(`a/${oldName}`, `b/${now ? id : '/dev/null'}`, oldText, newText, undefined, undefined, { context: 3 }).replace(/^=+\n/, ''));
  }
  return patches;
}
