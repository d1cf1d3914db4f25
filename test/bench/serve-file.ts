// A plain HTTP server for one file, in a process of its own, as an upstream mirror is on a
// machine of its own: a server sharing the benchmark driver's event loop (which has loaded the
// mirror and the OpenStack client) serves measurably slower (README, Performance).
//   node serve-file.ts <file>     prints the port it listens on, then serves until killed
import { createReadStream, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const file = process.argv[2];
if (!file) throw new Error('usage: serve-file.ts <file>');
const server = createServer((_req, res) => {
  res.writeHead(200, {
    'content-length': statSync(file).size,
    'content-type': 'application/octet-stream',
  });
  createReadStream(file).pipe(res);
});
server.listen(0, '127.0.0.1', () => console.log((server.address() as AddressInfo).port));
