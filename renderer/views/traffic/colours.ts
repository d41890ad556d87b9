import type { RoutingModel } from '../../../shared/traffic/model';

/** One colour per destination name across the whole object, so v2 looks the same in every route. */
export function colourIndex(model: RoutingModel): (name: string) => number {
  const names: string[] = [];
  for (const r of model.routes) for (const d of r.destinations) if (!names.includes(d.name)) names.push(d.name);
  for (const a of model.available) if (!names.includes(a.name)) names.push(a.name);
  return (name) => Math.max(0, names.indexOf(name)) % 6;
}
