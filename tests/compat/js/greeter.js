// A greeter client and server on grpc-js (npm), for the wire-compatibility tests: not our code's gRPC.
//
//   node greeter.js server                    env NAME (default "js-peer"), LISTEN_ADDRESS (default 127.0.4.5:50051);
//                                             replies "<NAME>: Hello <name>"; SIGTERM/SIGINT: graceful stop, exit 0
//   node greeter.js hello TARGET NAME...      one SayHello per NAME, in order; prints each reply
//   node greeter.js health TARGET [SERVICE]   grpc.health.v1.Health/Check; prints the status name
//
// Protos come from the repository's proto/ folder (PROTO_DIR overrides). Every call has a 5 s deadline and
// waits for the channel to be ready. A failed call prints "error code=N message=..." on stdout.
// Exit status: 0 iff every call succeeded, 1 otherwise, 2 on bad usage.
'use strict';

const path = require('path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

const PROTO_DIR = process.env.PROTO_DIR || path.join(__dirname, '..', '..', '..', 'proto');
const LOADER_OPTIONS = { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true };

function load(file) {
  return grpc.loadPackageDefinition(protoLoader.loadSync(path.join(PROTO_DIR, file), LOADER_OPTIONS));
}

function callOptions() {
  return { deadline: Date.now() + 5000, waitForReady: true };
}

function usage() {
  process.stderr.write(
    'usage: node greeter.js server | hello TARGET NAME... | health TARGET [SERVICE]\n');
  process.exit(2);
}

function serve() {
  const name = process.env.NAME || 'js-peer';
  const address = process.env.LISTEN_ADDRESS || '127.0.4.5:50051';
  const { helloworld } = load('helloworld.proto');
  const server = new grpc.Server();
  server.addService(helloworld.Greeter.service, {
    SayHello: (call, callback) => callback(null, { message: `${name}: Hello ${call.request.name}` }),
  });
  server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (err) => {
    if (err) {
      process.stderr.write(`greeter.js: cannot listen on ${address}: ${err.message}\n`);
      process.exit(1);
    }
    process.stderr.write(`greeter.js: msg=listening name=${name} address=${address}\n`);
  });
  const stop = () => server.tryShutdown(() => {
    process.stderr.write('greeter.js: msg=stopped\n');
    process.exit(0);
  });
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

// Calls fn(callback) for each item in order; resolves to the number of failures.
async function sequential(items, fn) {
  let failed = 0;
  for (const item of items) {
    await new Promise((resolve) => fn(item, (err, text) => {
      if (err) {
        failed++;
        process.stdout.write(`error code=${err.code} message=${err.details}\n`);
      } else {
        process.stdout.write(`${text}\n`);
      }
      resolve();
    }));
  }
  return failed;
}

async function main(argv) {
  const [mode, target, ...rest] = argv;
  if (mode === 'server' && argv.length === 1) return serve();
  if (!target) usage();
  const creds = grpc.credentials.createInsecure();
  let failed;
  if (mode === 'hello' && rest.length >= 1) {
    const { helloworld } = load('helloworld.proto');
    const client = new helloworld.Greeter(target, creds);
    failed = await sequential(rest, (name, done) =>
      client.SayHello({ name }, callOptions(), (err, reply) => done(err, reply && reply.message)));
    client.close();
  } else if (mode === 'health' && rest.length <= 1) {
    const health = load('health.proto').grpc.health.v1;
    const client = new health.Health(target, creds);
    failed = await sequential([rest[0] || ''], (service, done) =>
      client.Check({ service }, callOptions(), (err, resp) => done(err, resp && resp.status)));
    client.close();
  } else {
    usage();
  }
  process.exitCode = failed ? 1 : 0;
}

main(process.argv.slice(2));
