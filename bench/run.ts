/**
 * `npm run bench [-- --only graph,eventstore] [-- --events N]`: runs the benchmarks and writes
 * bench/RESULTS.md with machine notes. Targets are ratios against the raw query or tool measured
 * in the same run, never timed tests.
 */
import { writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { execFileSync } from 'node:child_process';

interface Bench {
  name: string;
  run(args: BenchArgs): Promise<string>;
}
export interface BenchArgs {
  events: number;
}

const benches: Bench[] = [
  { name: 'graph', run: async () => (await import('./graph')).runGraphBench() },
  { name: 'eventstore', run: async (a) => (await import('./eventstore')).runEventStoreBench({ events: a.events }) },
  { name: 'projections', run: async (a) => (await import('./projections')).runProjectionsBench({ events: a.events }) },
];

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function machineNotes(): string {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  let pg = 'n/a';
  try { pg = execFileSync('psql', ['--version']).toString().trim(); } catch { /* psql absent */ }
  return [
    `- Date: ${new Date().toISOString()}`,
    `- Machine: ${cpus().length} × ${cpu}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM`,
    `- Node ${process.version}; ${pg} (client used for the raw-SQL baseline)`,
  ].join('\n');
}

async function main(): Promise<void> {
  const only = arg('only')?.split(',');
  const args: BenchArgs = { events: Number(arg('events') ?? 10_000_000) };
  const sections: string[] = [];
  let failed = false;
  for (const b of benches) {
    if (only && !only.includes(b.name)) continue;
    console.log(`bench: ${b.name}…`);
    try {
      sections.push(await b.run(args));
    } catch (err) {
      failed = true;
      sections.push(`## ${b.name}\n\nFAILED: ${(err as Error).stack ?? String(err)}\n`);
    }
  }
  const md = `# Benchmark results\n\n${machineNotes()}\n\n${sections.join('\n')}`;
  await writeFile(new URL('./RESULTS.md', import.meta.url), md);
  console.log(md);
  if (failed) process.exitCode = 1;
}

void main();
