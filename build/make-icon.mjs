// Draws build/icon.png (1024×1024 RGBA) from the same shapes as build/icon.svg, without
// ImageMagick or a canvas library: signed distances per pixel, 4×4 supersampling, zlib, PNG chunks.
// Run: node build/make-icon.mjs [size]
import { writeFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';

const size = Number(process.argv[2] ?? 1024);
const k = size / 1024;
const hex = (h) => [parseInt(h.slice(1, 3), 16), parseInt(h.slice(3, 5), 16), parseInt(h.slice(5, 7), 16)];

const roundRect = (x0, y0, w, h, r) => (x, y) => {
  const cx = x0 + w / 2, cy = y0 + h / 2;
  const qx = Math.abs(x - cx) - (w / 2 - r), qy = Math.abs(y - cy) - (h / 2 - r);
  return Math.hypot(Math.max(qx, 0), Math.max(qy, 0)) + Math.min(Math.max(qx, qy), 0) - r;
};
const circle = (cx, cy, r) => (x, y) => Math.hypot(x - cx, y - cy) - r;
const segment = (x1, y1, x2, y2, w) => (x, y) => {
  const dx = x2 - x1, dy = y2 - y1;
  const t = Math.max(0, Math.min(1, ((x - x1) * dx + (y - y1) * dy) / (dx * dx + dy * dy)));
  return Math.hypot(x - (x1 + t * dx), y - (y1 + t * dy)) - w / 2;
};

// Painter's order, as in the SVG.
const edges = [[512, 512, 300, 300], [512, 512, 724, 300], [512, 512, 300, 724], [512, 512, 724, 724], [300, 300, 724, 300], [300, 724, 724, 724]];
const shapes = [
  [roundRect(64, 64, 896, 896, 200), hex('#0f1318')],
  ...edges.map((e) => [segment(...e, 36), hex('#4c9aff')]),
  [circle(512, 512, 104), hex('#3fb950')],
  [circle(300, 300, 76), hex('#4c9aff')],
  [circle(724, 300, 76), hex('#4c9aff')],
  [circle(300, 724, 76), hex('#4c9aff')],
  [circle(724, 724, 76), hex('#e6edf3')],
];

const S = 4;
const raw = Buffer.alloc(size * (size * 4 + 1));
for (let py = 0; py < size; py++) {
  raw[py * (size * 4 + 1)] = 0; // filter: none
  for (let px = 0; px < size; px++) {
    let r = 0, g = 0, b = 0, a = 0;
    for (let sy = 0; sy < S; sy++) {
      for (let sx = 0; sx < S; sx++) {
        const x = (px + (sx + 0.5) / S) / k, y = (py + (sy + 0.5) / S) / k;
        let col = null;
        for (const [sdf, c] of shapes) if (sdf(x, y) <= 0) col = c;
        if (col) { r += col[0]; g += col[1]; b += col[2]; a += 255; }
      }
    }
    const n = S * S, o = py * (size * 4 + 1) + 1 + px * 4;
    // Premultiplied sums -> straight alpha.
    raw[o] = a ? Math.round((r * 255) / a) : 0;
    raw[o + 1] = a ? Math.round((g * 255) / a) : 0;
    raw[o + 2] = a ? Math.round((b * 255) / a) : 0;
    raw[o + 3] = Math.round(a / n);
  }
}

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let i = 0; i < 8; i++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
const crc32 = (buf) => {
  let c = 0xffffffff;
  for (const byte of buf) c = crcTable[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
};
const chunk = (type, data) => {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
};
const ihdr = Buffer.alloc(13);
ihdr.writeUInt32BE(size, 0);
ihdr.writeUInt32BE(size, 4);
ihdr[8] = 8; // bit depth
ihdr[9] = 6; // RGBA
const png = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  chunk('IHDR', ihdr),
  chunk('IDAT', deflateSync(raw, { level: 9 })),
  chunk('IEND', Buffer.alloc(0)),
]);
const out = fileURLToPath(new URL('./icon.png', import.meta.url));
writeFileSync(out, png);
console.log(`wrote ${out} (${size}×${size}, ${png.length} bytes)`);
