// `npm start`: the desktop app where an Electron binary can run; otherwise web mode, with the URL printed.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
let electronPath = null;
try {
  electronPath = require('electron'); // the package exports the binary's path (throws if it was never downloaded)
} catch {
  electronPath = null;
}
const headless = process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY;
const args = process.argv.slice(2);

function run(cmd, argv, why) {
  if (why) console.log(`meshdeck: ${why}; starting web mode instead.`);
  const child = spawn(cmd, argv, { stdio: 'inherit' });
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
  child.on('exit', (code, signal) => process.exit(signal ? 1 : (code ?? 0)));
}

if (typeof electronPath === 'string' && existsSync(electronPath) && !headless) {
  run(electronPath, ['.', ...args]);
} else {
  const why = headless ? 'no display to open a window on' : 'no Electron binary is installed';
  run(process.execPath, ['out/main/web.js', ...args], why);
}
