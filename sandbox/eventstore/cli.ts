import { parseArgs } from 'node:util';
import { startSandboxEventStore } from './index';

/**
 * npx tsx sandbox/eventstore/cli.ts [--url postgres://...] [--rate 20] [--seed 20000] [--bulk N]
 * Starts the living demo store and prints `sandbox event store: <url>` on its own line
 * (open it with psql too). Ctrl-C stops it and removes the embedded cluster.
 */
const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    rate: { type: 'string', default: '20' },
    seed: { type: 'string', default: '100000' },
    bulk: { type: 'string' },
    verbose: { type: 'boolean', default: false },
  },
});

const store = await startSandboxEventStore({
  url: values.url,
  ratePerSec: Number(values.rate),
  seedEvents: Number(values.seed),
  onLog: values.verbose ? (l) => console.error(l) : undefined,
});
console.log(`sandbox event store: ${store.url}`);
if (values.bulk) {
  const n = Number(values.bulk);
  const r = await store.bulkLoad(n, (done, total) => console.error(`bulk: ${done}/${total}`));
  console.log(`bulk loaded ${r.events} events in ${(r.ms / 1000).toFixed(1)} s (${Math.round(r.events / (r.ms / 1000))} events/s)`);
}
let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await store.stop();
  process.exit(0);
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
