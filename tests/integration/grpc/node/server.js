// redeye-grpc-node-server: the same services as ../server/main.go on @grpc/grpc-js, with
// hand-written protobuf encoding (no codegen, no proto loader):
//   grpc.health.v1.Health/Check ("redeye.test.Known" -> OK, else NOT_FOUND), /Watch (server
//   streaming until cancelled), redeye.test.Test/Echo, /Fail (INTERNAL), /Slow (sleeps the
//   payload's milliseconds or answers DEADLINE_EXCEEDED 100 ms before the deadline), /Hang
//   (until cancelled), /Stream (payload's count of messages).
// Ground truth: the server's own count of every call it ended, per (method, status), printed
// as one JSON line {"event":"counts","calls":{METHOD:{STATUS:N}}} for each stdin line "counts".
// Usage: node server.js --addr 127.0.0.1:PORT   (needs NODE_PATH with @grpc/grpc-js)
'use strict';
const grpc = require('@grpc/grpc-js');
const readline = require('readline');

const args = process.argv.slice(2);
const addr = args[args.indexOf('--addr') + 1];
const STATUS = Object.fromEntries(Object.entries(grpc.status).map(([k, v]) => [v, k]));
STATUS[grpc.status.CANCELLED] = 'CANCELLED';

const counts = {};
function count(method, code) {
  const name = STATUS[code] || String(code);
  counts[method] = counts[method] || {};
  counts[method][name] = (counts[method][name] || 0) + 1;
}

// protobuf: field 1, length-delimited (string / bytes) and varint
function varint(n) { const b = []; while (n > 127) { b.push((n & 127) | 128); n >>>= 7; } b.push(n); return Buffer.from(b); }
function field1Bytes(buf) { return Buffer.concat([Buffer.from([0x0a]), varint(buf.length), buf]); }
function readField1(buf) {
  let i = 0;
  while (i < buf.length) {
    const tag = buf[i++];
    let n = 0, shift = 0, b;
    do { b = buf[i++]; n |= (b & 127) << shift; shift += 7; } while (b & 128);
    if ((tag & 7) === 2) { const v = buf.subarray(i, i + n); i += n; if (tag >> 3 === 1) return v; }
    else if ((tag & 7) !== 0) return Buffer.alloc(0);
  }
  return Buffer.alloc(0);
}
const id = (x) => x;
function rpc(path, responseStream) {
  return { path, requestStream: false, responseStream, requestSerialize: id, requestDeserialize: id,
           responseSerialize: id, responseDeserialize: id };
}
const HEALTH = { Check: rpc('/grpc.health.v1.Health/Check', false), Watch: rpc('/grpc.health.v1.Health/Watch', true) };
const TEST = { Echo: rpc('/redeye.test.Test/Echo', false), Fail: rpc('/redeye.test.Test/Fail', false),
               Slow: rpc('/redeye.test.Test/Slow', false), Hang: rpc('/redeye.test.Test/Hang', false),
               Stream: rpc('/redeye.test.Test/Stream', true) };
const SERVING = Buffer.from([0x08, 0x01]);

function unary(method, fn) {
  return (call, cb) => {
    let done = false;
    const finish = (code, value, details) => {
      if (done) return;
      done = true;
      count(method, code);
      if (code === grpc.status.OK) cb(null, value);
      else cb({ code, details: details || 'redeye' });
    };
    call.on('cancelled', () => finish(grpc.status.CANCELLED));
    fn(call, finish);
  };
}

const server = new grpc.Server();
server.addService(HEALTH, {
  Check: unary('grpc.health.v1.Health/Check', (call, finish) => {
    const svc = readField1(call.request).toString();
    if (svc === 'redeye.test.Known') finish(grpc.status.OK, SERVING);
    else finish(grpc.status.NOT_FOUND, null, 'unknown service');
  }),
  Watch: (call) => {
    call.write(SERVING);
    const t = setTimeout(() => { count('grpc.health.v1.Health/Watch', grpc.status.OK); call.end(); }, 60000);
    call.on('cancelled', () => { clearTimeout(t); count('grpc.health.v1.Health/Watch', grpc.status.CANCELLED); });
  },
});
server.addService(TEST, {
  Echo: unary('redeye.test.Test/Echo', (call, finish) => finish(grpc.status.OK, field1Bytes(readField1(call.request)))),
  Fail: unary('redeye.test.Test/Fail', (call, finish) => finish(grpc.status.INTERNAL, null, 'redeye: failing on purpose')),
  Slow: unary('redeye.test.Test/Slow', (call, finish) => {
    const sleep = parseInt(readField1(call.request).toString() || '1000', 10);
    const dl = call.getDeadline();
    const left = (dl instanceof Date ? dl.getTime() : (typeof dl === 'number' && isFinite(dl) ? dl : Infinity)) - Date.now();
    if (left - 100 < sleep) setTimeout(() => finish(grpc.status.DEADLINE_EXCEEDED, null, 'redeye: deadline would pass'), Math.max(0, left - 100));
    else setTimeout(() => finish(grpc.status.OK, field1Bytes(Buffer.from('slept'))), sleep);
  }),
  Hang: unary('redeye.test.Test/Hang', (call, finish) => {
    setTimeout(() => finish(grpc.status.ABORTED, null, 'redeye: nobody ended the call'), 60000);
  }),
  Stream: (call) => {
    const n = Math.min(100000, parseInt(readField1(call.request).toString() || '1', 10));
    for (let i = 0; i < n; i++) call.write(field1Bytes(Buffer.from(`message ${i}`)));
    count('redeye.test.Test/Stream', grpc.status.OK);
    call.end();
  },
});

server.bindAsync(addr, grpc.ServerCredentials.createInsecure(), (err, port) => {
  if (err) { console.error('bind:', err.message); process.exit(2); }
  process.stdout.write(`listening ${addr}\n`);
});

const rl = readline.createInterface({ input: process.stdin });
rl.on('line', (line) => {
  if (line.trim() === 'counts') process.stdout.write(JSON.stringify({ event: 'counts', calls: counts }) + '\n');
});
rl.on('close', () => {});
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => { server.forceShutdown(); process.exit(0); });
