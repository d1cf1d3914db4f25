// Benchmark: reading Ubuntu's products file at the document cap. Builds a 64 MiB
// `com.ubuntu.cloud:released:download.json` in the real shape (the local mirror's history of
// every release, architecture and artifact kind, repeated under further product ids until
// the size is reached; the product read sits among them), then, in a fresh process per run,
// times what the feed-watcher does with it (strict UTF-8 decoding + parseSimplestreamsProducts)
// against the bare minimum in the same run (TextDecoder + JSON.parse of the same bytes), and
// records each process's peak RSS. Prints every round, a noise probe (how much the baseline -
// the same work every round - varied) and the ratio of the best rounds. Exits 1 when the
// parse exceeds the targets below or picks another release than the document's newest.
//   ./dev bench products-parse        (64 MiB, 5 rounds; BENCH_SIZE_MIB, BENCH_ROUNDS to change)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MAX_DOCUMENT_BYTES } from '../../packages/feed-formats/src/index.ts'; // the test workspace does not depend on it (it depends on the test workspace)
import { history } from '../mirror/src/upstreams/ubuntu-history.ts';

const sizeMiB = Number(process.env.BENCH_SIZE_MIB ?? 64);
const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
const MiB = 1024 * 1024;
/** Best parse round / best baseline round, and the parse's peak RSS, at most. */
const TARGET = { ratio: 1.5, rssMiB: 1024 } as const;
const PRODUCT = 'com.ubuntu.cloud:server:24.04:amd64';

// The document: the mirror's rendering of the real stream up to a fixed day, its products
// repeated under other ids (`...:amd64` -> `...:amd64-copy<N>`) until it weighs sizeMiB.
const products = history('server', '2026-10-31', 'server/releases/');
const member = (id: string, body: string) =>
  `  ${JSON.stringify(id)}: {\n   "versions": {\n${body}\n   }\n  }`;
const bodies = products.map((p) => ({
  id: p.id,
  body: p.versions.map(([serial, text]) => `    ${JSON.stringify(serial)}: ${text}`).join(',\n'),
}));
const members: string[] = [];
let size = 0;
let full = false;
for (let copy = 0; !full; copy += 1) {
  for (const { id, body } of bodies) {
    if (copy > 0 && id === PRODUCT) continue;
    const text = member(copy === 0 ? id : `${id}-copy${copy}`, body);
    if (size + text.length > sizeMiB * MiB - 4096) {
      full = true;
      break;
    }
    members.push(text);
    size += text.length + 2;
  }
}
const document = `{\n "content_id": "com.ubuntu.cloud:released:download",\n "datatype": "image-downloads",\n "format": "products:1.0",\n "products": {\n${members.join(',\n')}\n },\n "updated": "Sat, 31 Oct 2026 06:30:00 +0000"\n}\n`;
const bytes = Buffer.byteLength(document);
const expectedNewest = (products.find((p) => p.id === PRODUCT)?.versions ?? [])
  .map(([s]) => s)
  .sort((a, b) => {
    const [ad, ar = '0'] = a.split('.');
    const [bd, br = '0'] = b.split('.');
    return Number(ad) - Number(bd) || Number(ar) - Number(br);
  })
  .at(-1);
const dir = mkdtempSync(join(tmpdir(), 'bench-products-'));
const file = join(dir, 'com.ubuntu.cloud:released:download.json');
writeFileSync(file, document);

interface Run {
  seconds: number;
  maxRssMiB: number;
  newest: string;
}
const run = (mode: 'parse' | 'baseline'): Run => {
  const child = spawnSync(
    process.execPath,
    [join(import.meta.dirname, 'products-parse-child.ts'), mode, file, PRODUCT],
    { encoding: 'utf8', maxBuffer: 1024 * 1024 },
  );
  if (child.status !== 0) throw new Error(`${mode} run failed: ${child.stderr}`);
  return JSON.parse(child.stdout.trim().split('\n').at(-1) ?? '{}') as Run;
};
const s = (seconds: number) => `${seconds.toFixed(3)} s`;
const rss = (mib: number) => `${mib.toFixed(0)} MiB`;

const misses: string[] = [];
try {
  console.log(
    `products document: ${(bytes / MiB).toFixed(1)} MiB (cap ${MAX_DOCUMENT_BYTES / MiB} MiB), ` +
      `${members.length} products, reading ${PRODUCT}; ${rounds} round(s), a fresh process per run`,
  );
  const parse: Run[] = [];
  const baseline: Run[] = [];
  for (let round = 0; round < rounds; round += 1) {
    // the side that goes first alternates
    const order =
      round % 2 === 0 ? (['parse', 'baseline'] as const) : (['baseline', 'parse'] as const);
    for (const mode of order) (mode === 'parse' ? parse : baseline).push(run(mode));
    const [p, b] = [parse[round] as Run, baseline[round] as Run];
    console.log(
      `  round ${round + 1}/${rounds}: parse ${s(p.seconds)} (peak RSS ${rss(p.maxRssMiB)}), ` +
        `baseline ${s(b.seconds)} (peak RSS ${rss(b.maxRssMiB)})`,
    );
    if (p.newest !== expectedNewest)
      misses.push(`round ${round + 1}: parse picked ${p.newest}, not ${expectedNewest}`);
  }
  const best = (runs: Run[]) => Math.min(...runs.map((r) => r.seconds));
  const [bp, bb] = [best(parse), best(baseline)];
  const peak = Math.max(...parse.map((r) => r.maxRssMiB));
  const ratio = bp / bb;
  console.log(
    `  best: parse ${s(bp)}, baseline ${s(bb)}; peak RSS parse ${rss(peak)}, baseline ${rss(Math.max(...baseline.map((r) => r.maxRssMiB)))}`,
  );
  console.log(
    `  ratio parse / baseline: ${ratio.toFixed(2)} (target <= ${TARGET.ratio}); newest ${expectedNewest}`,
  );
  const spread = Math.max(...baseline.map((r) => r.seconds)) / bb - 1;
  console.log(
    `  noise probe: the baseline varied by ${(spread * 100).toFixed(0)}% across rounds (${baseline.map((r) => s(r.seconds)).join(', ')})`,
  );
  if (ratio > TARGET.ratio) misses.push(`ratio ${ratio.toFixed(2)} above ${TARGET.ratio}`);
  if (peak > TARGET.rssMiB) misses.push(`peak RSS ${rss(peak)} above ${TARGET.rssMiB} MiB`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
if (misses.length > 0) {
  console.log(`EXPECTATIONS NOT MET: ${misses.join('; ')}`);
  process.exitCode = 1;
} else console.log('expectations met');
