// redeye-grpc-node-client: ../client/main.go on @grpc/grpc-js, same flags, kinds and JSON lines:
//   node client.js --addr HOST:PORT --calls KIND=N,... [--then KIND=N,...] [--concurrency C]
//                  [--timeout 5s|500ms] [--wait-go] [--tag=NAME]
// One grpc.Client = one channel (one TCP connection). No metrics code.
'use strict';
const grpc = require('@grpc/grpc-js');
const readline = require('readline');

const argv = process.argv.slice(2);
function opt(name, def) { const i = argv.indexOf(name); return i >= 0 ? argv[i + 1] : def; }
const addr = opt('--addr');
const concurrency = parseInt(opt('--concurrency', '1'), 10);
function ms(d) { const m = /^(\d+(?:\.\d+)?)(ms|s)?$/.exec(d || '0'); if (!m) { console.error(`bad --timeout ${d}`); process.exit(2); } return m[2] === 's' ? parseFloat(m[1]) * 1000 : parseFloat(m[1]); }
const timeoutMs = ms(opt('--timeout', '0'));
const waitGo = argv.includes('--wait-go');
const STATUS = Object.fromEntries(Object.entries(grpc.status).map(([k, v]) => [v, k]));

const KINDS = {
  'check-ok': ['grpc.health.v1.Health/Check', 'OK'], 'check-notfound': ['grpc.health.v1.Health/Check', 'NOT_FOUND'],
  echo: ['redeye.test.Test/Echo', 'OK'], fail: ['redeye.test.Test/Fail', 'INTERNAL'],
  'slow-deadline': ['redeye.test.Test/Slow', 'DEADLINE_EXCEEDED'], 'hang-cancel': ['redeye.test.Test/Hang', 'CANCELLED'],
  'hang-deadline': ['redeye.test.Test/Hang', 'DEADLINE_EXCEEDED'], stream: ['redeye.test.Test/Stream', 'OK'],
  watch: ['grpc.health.v1.Health/Watch', 'CANCELLED'],
};
function parseCalls(spec) {
  const out = [];
  if (!spec) return out;
  for (const item of spec.split(',')) {
    const [k, n] = item.split('=');
    const [kind, a] = k.split(':');
    if (!KINDS[kind]) { console.error(`unknown call kind ${kind}`); process.exit(2); }
    const arg = a !== undefined ? parseInt(a, 10) : (kind === 'echo' ? 16 : kind === 'stream' ? 5 : 0);
    for (let i = 0; i < parseInt(n, 10); i++) out.push({ kind, arg, method: KINDS[kind][0], expect: KINDS[kind][1] });
  }
  return out;
}

function varint(n) { const b = []; while (n > 127) { b.push((n & 127) | 128); n >>>= 7; } b.push(n); return Buffer.from(b); }
function field1Bytes(buf) { return Buffer.concat([Buffer.from([0x0a]), varint(buf.length), buf]); }
const id = (x) => x;

let client;
const emit = (o) => process.stdout.write(JSON.stringify(o) + '\n');
const deadlineIn = (ms) => new Date(Date.now() + ms);

function one(c) {
  return new Promise((resolve) => {
    const path = '/' + c.method;
    const plain = () => (timeoutMs > 0 ? { deadline: deadlineIn(timeoutMs) } : {});
    const done = (err, msgs = 0) => resolve({ code: err ? err.code : grpc.status.OK, err, msgs });
    switch (c.kind) {
      case 'check-ok': case 'check-notfound': {
        const svc = c.kind === 'check-ok' ? 'redeye.test.Known' : 'redeye.test.Unknown';
        const call = client.makeUnaryRequest(path, id, id, field1Bytes(Buffer.from(svc)), new grpc.Metadata(), plain(), (e) => done(e));
        const t = setTimeout(() => call.cancel(), 10000); call.on('status', () => clearTimeout(t));
        break;
      }
      case 'echo': case 'fail':
        client.makeUnaryRequest(path, id, id, field1Bytes(Buffer.from('x'.repeat(c.kind === 'echo' ? c.arg : 0))),
          new grpc.Metadata(), timeoutMs > 0 ? plain() : { deadline: deadlineIn(10000) }, (e) => done(e));
        break;
      case 'slow-deadline':
        client.makeUnaryRequest(path, id, id, field1Bytes(Buffer.from('5000')), new grpc.Metadata(), { deadline: deadlineIn(400) }, (e) => done(e));
        break;
      case 'hang-cancel': {
        const call = client.makeUnaryRequest(path, id, id, field1Bytes(Buffer.alloc(0)), new grpc.Metadata(), {}, (e) => done(e));
        setTimeout(() => call.cancel(), 150);
        break;
      }
      case 'hang-deadline':
        client.makeUnaryRequest(path, id, id, field1Bytes(Buffer.alloc(0)), new grpc.Metadata(), { deadline: deadlineIn(200) }, (e) => done(e));
        break;
      case 'stream': case 'watch': {
        const req = c.kind === 'stream' ? field1Bytes(Buffer.from(String(c.arg))) : field1Bytes(Buffer.from('redeye.test.Known'));
        const call = client.makeServerStreamRequest(path, id, id, req, new grpc.Metadata(), { deadline: deadlineIn(timeoutMs > 0 ? timeoutMs : 10000) });
        let msgs = 0;
        call.on('data', () => { msgs++; if (c.kind === 'watch' && msgs === 1) call.cancel(); });
        call.on('error', (e) => done(e, msgs));
        call.on('status', (s) => {
          if (s.code === grpc.status.OK) {
            done(c.kind === 'stream' && msgs !== c.arg ? { code: grpc.status.DATA_LOSS, message: `stream: ${msgs} messages` } : null, msgs);
          }
        });
        break;
      }
    }
  });
}

async function run(calls) {
  const counts = {}; const unexpected = []; let messages = 0; let next = 0;
  const t0 = Date.now();
  async function worker() {
    while (next < calls.length) {
      const c = calls[next++];
      const r = await one(c);
      const name = STATUS[r.code] || String(r.code);
      counts[c.method] = counts[c.method] || {};
      counts[c.method][name] = (counts[c.method][name] || 0) + 1;
      messages += r.msgs;
      if (name !== c.expect && unexpected.length < 20) unexpected.push(`${c.kind} (${c.method}): got ${name}: ${r.err && r.err.message}`);
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { counts, unexpected, messages, seconds: (Date.now() - t0) / 1000 };
}

const lines = [];
let waiter = null;
const rl = readline.createInterface({ input: process.stdin });
rl.on('line', (l) => { if (waiter) { const w = waiter; waiter = null; w(l); } else lines.push(l); });
rl.on('close', () => { lines.push(null); if (waiter) { const w = waiter; waiter = null; w(null); } });
const line = () => new Promise((res) => { if (lines.length) res(lines.shift()); else waiter = res; });

(async () => {
  const phases = [parseCalls(opt('--calls', '')), parseCalls(opt('--then', ''))];
  if (waitGo) { emit({ event: 'started', pid: process.pid }); await line(); }
  client = new grpc.Client(addr, grpc.credentials.createInsecure());
  await new Promise((res, rej) => client.waitForReady(deadlineIn(10000), (e) => (e ? rej(e) : res())));
  emit({ event: 'connected' });
  for (let i = 0; i < 2; i++) {
    if (i === 1) { if (!opt('--then')) break; await line(); }
    const r = await run(phases[i]);
    emit({ event: 'phase', phase: i + 1, calls: r.counts, total: phases[i].length, unexpected: r.unexpected,
           stream_messages: r.messages, seconds: r.seconds });
  }
  await line(); // "exit" or EOF
  client.close();
  process.exit(0);
})().catch((e) => { console.error(e); process.exit(3); });
