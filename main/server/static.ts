import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { extname, join, normalize, resolve, sep } from 'node:path';
import type { ServerResponse } from 'node:http';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.map': 'application/json',
};

/** Serves the built renderer. Unknown paths fall back to index.html (client-side routes). */
export async function serveStatic(root: string, urlPath: string, res: ServerResponse): Promise<void> {
  const base = resolve(root);
  let rel = decodeURIComponent(urlPath.split('?')[0] ?? '/');
  if (rel.endsWith('/')) rel += 'index.html';
  const file = normalize(join(base, rel));
  if (file !== base && !file.startsWith(base + sep)) {
    res.writeHead(400).end('bad path');
    return;
  }
  let target = file;
  try {
    const st = await stat(target);
    if (!st.isFile()) throw new Error('not a file');
  } catch {
    if (extname(rel) !== '' && extname(rel) !== '.html') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    target = join(base, 'index.html');
    try {
      await stat(target);
    } catch {
      res.writeHead(503, { 'content-type': 'text/plain' }).end('The UI is not built: run `npm run build`.');
      return;
    }
  }
  const type = TYPES[extname(target)] ?? 'application/octet-stream';
  const cache = target.includes(`${sep}assets${sep}`) ? 'public, max-age=31536000, immutable' : 'no-cache';
  res.writeHead(200, { 'content-type': type, 'cache-control': cache });
  createReadStream(target).pipe(res);
}
