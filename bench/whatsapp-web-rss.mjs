// RSS of WhatsApp Web sockets in one Node process (issue 14, "Memory"): run with
//   npx node --expose-gc --max-old-space-size=192 --max-semi-space-size=4 bench/whatsapp-web-rss.mjs
// (the heap flags of `npm start`). Measures: a bare process, + Baileys loaded, + 1 and + 10 real
// Baileys sockets (7.0.0-rc14) connected to a local WebSocket server that accepts and stays
// silent (no WhatsApp: the handshake never completes, so a linked socket's signal sessions and
// caches are NOT included), and + 10 fake-engine sessions (EventEmitters only).
// Prints a Markdown table; figures are MB, after a forced GC, median of 5 samples 200 ms apart.
import { WebSocketServer } from 'ws';

const mb = (b) => Math.round((b / 1048576) * 10) / 10;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function sample() {
  const rss = [];
  const heap = [];
  for (let i = 0; i < 5; i++) {
    globalThis.gc?.();
    await sleep(200);
    const m = process.memoryUsage();
    rss.push(m.rss);
    heap.push(m.heapUsed);
  }
  rss.sort((a, b) => a - b);
  heap.sort((a, b) => a - b);
  return { rss: mb(rss[2]), heap: mb(heap[2]) };
}

const rows = [];
const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
let accepted = 0;
wss.on('connection', () => (accepted += 1)); // accept, never answer
await new Promise((r) => wss.once('listening', r));
const url = `ws://127.0.0.1:${wss.address().port}/ws/chat`;
rows.push(['0 sockets, Baileys not loaded', await sample()]);

const b = await import('baileys');
const silent = { level: 'silent', child: () => silent, trace() {}, debug() {}, info() {}, warn() {}, error() {} };
rows.push(['0 sockets, Baileys loaded', await sample()]);

const memoryKeys = () => {
  const m = new Map();
  return {
    get: async (type, ids) => Object.fromEntries(ids.filter((id) => m.has(`${type}/${id}`)).map((id) => [id, m.get(`${type}/${id}`)])),
    set: async (data) => {
      for (const [type, byId] of Object.entries(data))
        for (const [id, v] of Object.entries(byId)) (v ? m.set(`${type}/${id}`, v) : m.delete(`${type}/${id}`));
    },
  };
};
const sockets = [];
const open = (n) => {
  for (let i = 0; i < n; i++) {
    sockets.push(
      b.makeWASocket({
        auth: { creds: b.initAuthCreds(), keys: b.makeCacheableSignalKeyStore(memoryKeys(), silent) },
        logger: silent,
        waWebSocketUrl: url,
        connectTimeoutMs: 120_000,
        markOnlineOnConnect: false,
        syncFullHistory: false,
      }),
    );
  }
};
open(1);
await sleep(1500);
rows.push([`1 real socket (${accepted} accepted)`, await sample()]);
open(9);
await sleep(2500);
rows.push([`10 real sockets (${accepted} accepted)`, await sample()]);
for (const s of sockets) s.end(undefined);
await sleep(500);
const { EventEmitter } = await import('node:events');
const fakes = Array.from({ length: 10 }, () => new EventEmitter());
rows.push([`10 fake-engine sessions (${fakes.length})`, await sample()]);

console.log(`Node ${process.version}, baileys ${(await import('baileys/package.json', { with: { type: 'json' } })).default.version}\n`);
console.log('| process | RSS MB | heap used MB |\n|---|---|---|');
for (const [name, s] of rows) console.log(`| ${name} | ${s.rss} | ${s.heap} |`);
wss.close();
process.exit(0);
