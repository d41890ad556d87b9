/** YAML and unified diffs of objects, as shown to people and kept in the audit log. */
import { createTwoFilesPatch } from 'diff';
import { stringify } from 'yaml';
import { forDisplay } from './json';
import type { KubeObject } from './json';

export function toYaml(obj: KubeObject | null): string {
  if (!obj) return '';
  return stringify(forDisplay(obj), { lineWidth: 0, aliasDuplicateObjects: false });
}

/** A unified diff with 3 lines of context; headers name the object. */
export function unifiedDiff(name: string, before: string, after: string): string {
  return createTwoFilesPatch(`a/${name}`, `b/${name}`, before, after, undefined, undefined, { context: 3 });
}
