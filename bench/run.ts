/**
 * `npm run bench [-- --only graph,eventstore] [-- --events N]`: runs the benchmarks and writes
 * bench/RESULTS.md with machine notes. Targets are ratios against the raw query or tool measured
 * in the same run, never timed tests.
 */
import { readFile, writeFile } from 'node:fs/promises';
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
  { name: 'tail-screen', run: async () => (await import('./tail-screen')).runTailScreenBench() },
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

const marker = (name: string, end = false) => `<!-- bench:${name}:${end ? 'end' : 'start'} -->`;

/**
 * Puts each section between its markers, keeping the sections of benches not run this time
 * (`--only`), so one bench can be re-measured without losing the others' results.
 */
export function mergeResults(existing: string, sections: Map<string, string>, notes: string): string {
  const kept: string[] = [];
  for (const m of existing.matchAll(/<!-- bench:([\w-]+):start -->[\s\S]*?<!-- bench:\1:end -->/g)) {
    if (!sections.has(m[1]!)) kept.push(m[0]);
  }
  const when = `_Measured ${new Date().toISOString()}._`;
  const fresh = [...sections].map(([name, md]) => `${marker(name)}\n${md.trim()}\n\n${when}\n${marker(name, true)}`);
  return `# Benchmark results\n\n${notes}\n\n${[...kept, ...fresh].join('\n\n')}\n`;
}

async function main(): Promise<void> {
  const only = arg('only')?.split(',');
  const args: BenchArgs = { events: Number(arg('events') ?? 10_000_000) };
  const sections = new Map<string, string>();
  let failed = false;
  for (const b of benches) {
    if (only && !only.includes(b.name)) continue;
    console.log(`bench: ${b.name}…`);
    try {
      sections.set(b.name, await b.run(args));
    } catch (err) {
      failed = true;
      sections.set(b.name, `## ${b.name}\n\nFAILED: ${(err as Error).stack ?? String(err)}\n`);
    }
  }
  const file = new URL('./RESULTS.md', import.meta.url);
  const existing = await readFile(file, 'utf8').catch(() => '');
  const md = mergeResults(existing, sections, machineNotes());
  await writeFile(file, md);
  console.log(md);
  if (failed) process.exitCode = 1;
}

if (import.meta.url === `file://${process.argv[1]}`) void main();
