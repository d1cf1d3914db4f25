// One stage of the publish benchmark in a process of its own (as its worker runs), so its
// peak RSS is its own. Prints one JSON line: wall seconds, peak RSS, and the stage's result.
//   publish-stage.ts download <release.json> <staging dir>
//   publish-stage.ts upload <release.json> <artifact.json> <staging dir>
import { readFileSync } from 'node:fs';
import { artifactSchema, releaseSchema } from '@imagecycle/contracts';
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
const ctx = { progress: () => Promise.resolve() };
let result: unknown;
let t0: number;

if (stage === 'download') {
  t0 = performance.now();
  result = await download({ release }, ctx, {
    stagingDir: third,
    trustFor: () => Promise.resolve(undefined),
  });
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
const seconds = (performance.now() - t0) / 1000;
console.log(JSON.stringify({ seconds, maxRssMiB: process.resourceUsage().maxRSS / 1024, result }));
