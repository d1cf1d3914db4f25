// One stage of the publish benchmark in a process of its own (as its worker runs), so its
// peak RSS is its own. Prints one JSON line: wall seconds, peak RSS, and the stage's result.
//   publish-stage.ts download <release.json> <staging dir>
//   publish-stage.ts upload <release.json> <artifact.json> <staging dir>
//   publish-stage.ts follow <release.json> <staging dir>   (the overlapped upload: it starts
//     as soon as the download's written.json is there, as the queue would start it)
// With BENCH_OVERLAP=1 the download publishes its durable progress for `follow`.
// The JSON line also has `startedAt`/`endedAt` (epoch ms), for the overlapped wall time.
import { existsSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { artifactSchema, releaseSchema, stagingPaths } from '@imagecycle/contracts';
import { download } from '@imagecycle/downloader';
import { DEFAULT_CATALOGUE_PATH, loadCatalogue } from '@imagecycle/series-catalogue';
import { upload } from '@imagecycle/uploader';
import { connect } from '../support/clouds.ts';

const [stage, releaseFile, third, fourth] = process.argv.slice(2);
if (!releaseFile || !third)
  throw new Error(
    'usage: publish-stage.ts download <release.json> <dir> | upload <release.json> <artifact.json> <dir>',
  );
const release = releaseSchema.parse(JSON.parse(readFileSync(releaseFile, 'utf8')));
// [epoch ms, bytes] of the stage's own progress (received, or sent), and for the overlapped
// upload also of the durable size the downloader published: where the pipeline's time goes
const trace: { progress: [number, number][]; durable: [number, number][] } = {
  progress: [],
  durable: [],
};
const ctx = {
  progress: (value: Record<string, number | string>) => {
    if (typeof value.bytes === 'number') trace.progress.push([Date.now(), value.bytes]);
    return Promise.resolve();
  },
};
let result: unknown;
let t0: number;

if (stage === 'download') {
  t0 = performance.now();
  result = await download({ release }, ctx, {
    stagingDir: third,
    trustFor: () => Promise.resolve(undefined),
    overlap: process.env.BENCH_OVERLAP === '1',
    // as the composition does for a series that overlaps: the SHA-512 taken here, once
    sha512: process.env.BENCH_OVERLAP === '1',
    // only to compare granularities; the benchmark's figures use the defaults
    durableEvery: {
      ...(process.env.BENCH_SYNC_MIB
        ? { syncBytes: Number(process.env.BENCH_SYNC_MIB) * 2 ** 20 }
        : {}),
      ...(process.env.BENCH_SYNC_MS ? { syncMs: Number(process.env.BENCH_SYNC_MS) } : {}),
    },
  });
} else if (stage === 'follow') {
  const catalogue = await loadCatalogue(
    process.env.IMAGECYCLE_CATALOGUE ?? DEFAULT_CATALOGUE_PATH,
    { vars: process.env },
  );
  const client = connect('service');
  const owner = await client.projectId(); // a running worker is authenticated already
  const paths = stagingPaths(third, release.series, release.version);
  process.stdout.write('ready\n');
  // the job is enqueued once the first bytes are staged: poll for that as the queue would deliver it
  while (!existsSync(paths.written)) await sleep(20);
  t0 = performance.now();
  const watch = setInterval(() => {
    const fact = readWrittenFact(paths.written);
    if (fact) trace.durable.push([Date.now(), fact.bytes]);
  }, 50);
  result = await upload({ release }, ctx, {
    glance: client.glance,
    owner,
    stagingDir: third,
    findSeries: (id) => catalogue.series.find((s) => s.id === id),
    enqueueReconcile: () => Promise.resolve(),
    followPollMs: 20,
    // the downloader took the SHA-512: Glance's own is compared with it
    hashWhileSending: false,
  }).finally(() => clearInterval(watch));
} else if (stage === 'upload') {
  if (!fourth)
    throw new Error('usage: publish-stage.ts upload <release.json> <artifact.json> <dir>');
  const artifact = artifactSchema.parse(JSON.parse(readFileSync(third, 'utf8')));
  const catalogue = await loadCatalogue(
    process.env.IMAGECYCLE_CATALOGUE ?? DEFAULT_CATALOGUE_PATH,
    {
      vars: process.env,
    },
  );
  const client = connect('service');
  const owner = await client.projectId(); // authentication is not part of the measured work
  t0 = performance.now();
  result = await upload({ release, artifact }, ctx, {
    glance: client.glance,
    owner,
    stagingDir: fourth,
    findSeries: (id) => catalogue.series.find((s) => s.id === id),
    enqueueReconcile: () => Promise.resolve(),
  });
} else {
  throw new Error(`unknown stage "${stage}"`);
}
function readWrittenFact(path: string): { bytes: number } | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as { bytes: number };
  } catch {
    return undefined; // not there yet, or gone with the staging directory
  }
}

/**
 * This process's own peak RSS: VmHWM, the high-water mark of its address space since exec.
 * Not getrusage's ru_maxrss (`process.resourceUsage().maxRSS`): Linux carries that over from
 * the process it was forked from, so both stages reported the benchmark driver's RSS at the
 * moment it spawned them (227.9 MiB each, the driver holding the mirror and its buffers).
 */
function peakRssMiB(): number {
  const kiB = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
  if (!kiB) throw new Error('no VmHWM in /proc/self/status: peak RSS unknown');
  return Number(kiB) / 1024;
}

const endedAt = Date.now();
const seconds = (performance.now() - t0) / 1000;
console.log(
  JSON.stringify({
    seconds,
    startedAt: endedAt - seconds * 1000,
    endedAt,
    maxRssMiB: peakRssMiB(),
    // the whole process's, start-up included
    cpuSeconds: (process.cpuUsage().user + process.cpuUsage().system) / 1e6,
    result,
    trace,
  }),
);
