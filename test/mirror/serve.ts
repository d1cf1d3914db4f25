// Run the local upstream mirror for the demo or by hand:
//   node test/mirror/serve.ts --port 8780 --seed [--date 2026-11-01] [--root DIR] [--keyring FILE]
// Prints the base URL, each distro's feed URL and the test keys' fingerprints, writes the
// armored keyring (every upstream test key) to --keyring, and serves until SIGINT/SIGTERM.
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DISTROS, KEY_NAMES, startMirror } from './index.ts';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '8780' },
    host: { type: 'string', default: '127.0.0.1' },
    seed: { type: 'boolean', default: false },
    date: { type: 'string' },
    root: { type: 'string' },
    keyring: { type: 'string', default: join(tmpdir(), 'imagecycle-mirror-keyring.asc') },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  console.log(
    'usage: node test/mirror/serve.ts [--port 8780] [--host 127.0.0.1] [--seed] [--date YYYY-MM-DD] [--root DIR] [--keyring FILE]',
  );
  process.exit(0);
}

const mirror = await startMirror({
  port: Number(values.port),
  host: values.host,
  ...(values.root ? { root: values.root } : {}),
});
if (values.seed) await mirror.seed(values.date ?? new Date());
await writeFile(values.keyring, mirror.keyring);

console.log(`mirror: ${mirror.baseUrl}  (files in ${mirror.root})`);
console.log(`keyring: ${values.keyring}`);
for (const name of KEY_NAMES) {
  const k = mirror.keys[name];
  console.log(`key ${name.padEnd(18)} ${k.fingerprint}  subkey ${k.subkeyFingerprint}`);
}
for (const d of DISTROS) {
  const latest = mirror.latest(d);
  console.log(`${d.padEnd(21)} ${(latest?.version ?? '-').padEnd(20)} ${mirror.feedUrl(d)}`);
}

const shutdown = () => {
  console.log(`\nserved ${mirror.requests.total} requests, ${mirror.requests.bytes} bytes`);
  void mirror.stop().then(() => process.exit(0));
};
process.once('SIGINT', shutdown);
process.once('SIGTERM', shutdown);
