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
  // read as a mirror's server sends, in large pieces (nginx: sendfile): with the default 64 KiB
  // reads this process took 1.7-2.0 CPU s per 2 GiB, with 1 MiB 1.1 (measured by hand), CPU
  // taken from the two cores the measured sides share, which a mirror elsewhere does not take
  createReadStream(file, { highWaterMark: 1 << 20 }).pipe(res);
});
server.listen(0, '127.0.0.1', () => console.log((server.address() as AddressInfo).port));
