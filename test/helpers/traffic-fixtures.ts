import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import type { RoutingContext } from '../../main/traffic/adapters';
import { isKubeObject } from '../../main/traffic/json';
import type { KubeObject } from '../../main/traffic/json';
import type { RoutingSnapshot } from '../../main/traffic/plan';
import { readContextFromObjects } from './traffic-context';

export const FIXTURES = resolve('test/fixtures/traffic');

export function loadObject(name: string): KubeObject {
  const docs = parseAllDocuments(readFileSync(join(FIXTURES, name), 'utf8')).map((d) => d.toJS() as unknown);
  const o = docs[0];
  if (!isKubeObject(o)) throw new Error(`${name} is not a Kubernetes object`);
  return o;
}

export function loadContext(name: string, namespace: string, rules: KubeObject[] = []): RoutingContext {
  const raw = parse(readFileSync(join(FIXTURES, name), 'utf8')) as { services?: unknown[]; deployments?: unknown[] };
  return readContextFromObjects(namespace, (raw.services ?? []).filter(isKubeObject), (raw.deployments ?? []).filter(isKubeObject), rules);
}

export function snapshot(objectFile: string, contextFile: string, namespace: string, rules: string[] = []): RoutingSnapshot {
  return { object: loadObject(objectFile), context: loadContext(contextFile, namespace, rules.map(loadObject)) };
}
