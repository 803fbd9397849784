// The demo's client: runs inside the client's network namespace
//   ip netns exec NS node client.mjs NS
// and, for each JSON line {id, url, count, timeoutMs} on stdin, makes
// `count` HTTP GETs one after another, each on a new TCP connection (as
// `curl URL` would), and answers one JSON line {id, answers}: the body's
// first line of each, or "error: CODE". Exits when stdin closes. (NS,
// unused, shows in `ps` which demo run the client belongs to.)
import { request } from 'node:http';
import { createInterface } from 'node:readline';

function get(url, timeoutMs) {
  return new Promise((resolve) => {
    const req = request(url, { agent: false, timeout: timeoutMs, headers: { connection: 'close' } }, (res) => {
      let body = '';
      res.on('data', (c) => { body += c.toString(); });
      res.on('end', () => resolve(body.split('\n')[0]));
      res.on('error', (e) => resolve(`error: ${e.code ?? e.message}`));
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
    req.on('error', (e) => resolve(`error: ${e.code ?? e.message}`));
    req.end();
  });
}

createInterface({ input: process.stdin }).on('line', async (line) => {
  const { id, url, count, timeoutMs } = JSON.parse(line);
  const answers = [];
  for (let i = 0; i < count; i++) answers.push(await get(url, timeoutMs ?? 1000));
  process.stdout.write(`${JSON.stringify({ id, answers })}\n`);
}).on('close', () => process.exit(0));
process.stdout.write(`${JSON.stringify({ id: 0, answers: [] })}\n`);
