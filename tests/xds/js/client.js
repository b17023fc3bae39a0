// A proxyless grpc-js client for xdsd: dials TARGET (xds:///server) with grpc-js-xds, sends rounds of
// CONCURRENCY SayHello calls, and prints a line per window: "js window ok=N failed=F NAME=COUNT ...".
// Env: TARGET, PROTO (path to helloworld.proto), CONCURRENCY (10), WINDOW_MS (250), METADATA ("k=v,k2=v2",
// sent with every call, as greeter-client's); GRPC_XDS_BOOTSTRAP.
'use strict';
const grpc = require('@grpc/grpc-js');
require('@grpc/grpc-js-xds').register();
const protoLoader = require('@grpc/proto-loader');

const def = protoLoader.loadSync(process.env.PROTO, {});
const Greeter = grpc.loadPackageDefinition(def).helloworld.Greeter;
const client = new Greeter(process.env.TARGET || 'xds:///server', grpc.credentials.createInsecure());
const concurrency = Number(process.env.CONCURRENCY || 10);
const windowMs = Number(process.env.WINDOW_MS || 250);

const md = new grpc.Metadata();
for (const kv of (process.env.METADATA || '').split(',').filter(Boolean)) {
  const i = kv.indexOf('=');
  md.set(kv.slice(0, i), kv.slice(i + 1));
}

let counts = {}, ok = 0, failed = 0, n = 0, stop = false;
process.on('SIGTERM', () => { stop = true; });
setInterval(() => {
  const parts = Object.keys(counts).sort().map((k) => `${k}=${counts[k]}`);
  console.log(`js window ok=${ok} failed=${failed} ${parts.join(' ')}`);
  counts = {}; ok = 0; failed = 0;
  if (stop) process.exit(0);
}, windowMs);

function call() {
  return new Promise((resolve) => {
    const deadline = new Date(Date.now() + 10000);
    // No waitForReady: an RPC that finds no ready backend fails at once, so the test sees it.
    client.sayHello({ name: `js_${++n}` }, md, { deadline }, (err, reply) => {
      if (err) {
        failed++;
        console.log(`js ERROR code=${err.code} ${err.details}`);
      } else {
        ok++;
        const server = reply.message.split(':')[0];
        counts[server] = (counts[server] || 0) + 1;
      }
      resolve();
    });
  });
}

(async () => {
  while (!stop) {
    const round = [];
    for (let i = 0; i < concurrency; i++) round.push(call());
    await Promise.all(round);
    // Calls that fail at once (a fault abort) settle as microtasks: yield to the timers between
    // rounds, or the window lines would never be printed.
    await new Promise((resolve) => setImmediate(resolve));
  }
})();
