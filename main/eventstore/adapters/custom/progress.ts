import { findTable } from '../types';
import type { AdapterDescription, Catalog } from '../types';
import { checkpointTableSource } from '../classic/progress';
import type { ProgressCapability } from '../../../projections/types';

/** A hand-mapped store: a projection_checkpoints-like table next to the mapped event table, when there is one. */
const NAMES = ['projection_checkpoints', 'checkpoints', 'subscriptions', 'projections'];

export const customProgress: ProgressCapability = (cat: Catalog, desc: AdapterDescription) => {
  for (const n of NAMES) {
    const t = findTable(cat, n, desc.mapping.eventTable.schema) ?? findTable(cat, n);
    if (!t) continue;
    const s = checkpointTableSource(desc, t, `Checkpoints read from ${t.schema}.${t.name} against the mapped position column.`);
    if (s) return s;
  }
  return null;
};
