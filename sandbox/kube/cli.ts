// Run the sandbox API server on its own:
//   node --import tsx sandbox/kube/cli.ts --kubeconfig /tmp/sandbox.kubeconfig [--port 6443] [--state /tmp/kube-state.json] [--no-seed]
// then `kubectl --kubeconfig /tmp/sandbox.kubeconfig get vs -A`. Stops on SIGINT/SIGTERM.
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startSandboxKube, type SandboxKubeOptions } from './index.js';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      kubeconfig: { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      state: { type: 'string' },
      seed: { type: 'string' },
      'no-seed': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log('usage: cli.ts [--kubeconfig PATH] [--port N] [--host ADDR] [--state FILE] [--seed DIR] [--no-seed]');
    return;
  }
  const opts: SandboxKubeOptions = { seed: !values['no-seed'] };
  if (values.port) opts.port = Number(values.port);
  if (values.host) opts.host = values.host;
  if (values.state) opts.stateFile = values.state;
  if (values.seed) opts.seedDir = values.seed;
  const kube = await startSandboxKube(opts);
  const path = values.kubeconfig ?? join(tmpdir(), 'meshdeck-sandbox.kubeconfig');
  await kube.writeKubeconfig(path);
  console.log(`sandbox api server: ${kube.url}`);
  console.log(`sandbox kubeconfig: ${path}`);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`sandbox: ${signal}, stopping`);
    kube.close().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(err);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
