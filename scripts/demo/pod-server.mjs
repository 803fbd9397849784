// A demo "pod": a small HTTP server answering every request with the pod's
// name. Runs inside the pod's network namespace:
//   ip netns exec NS node pod-server.mjs NAME PORT NS
// (NS, unused, shows in `ps` which demo run a server belongs to.)
// Prints "ready" once it listens; exits on SIGTERM/SIGINT or when its
// stdin closes (the demo went away).
import { createServer } from 'node:http';

const [name, port] = process.argv.slice(2);
const server = createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain', connection: 'close' });
  res.end(`${name}\n`);
});
server.listen(Number(port), '0.0.0.0', () => process.stdout.write('ready\n'));
const stop = () => process.exit(0);
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.stdin.on('end', stop).resume();
