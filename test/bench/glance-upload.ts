// Benchmark: stream a large file into the local Glance through the client, and the same
// file with `curl -T`, in the same run; print both throughputs, their ratio and the
// client's peak RSS. Each upload runs in its own process, so RSS is the client's alone.
//   ./dev bench glance-upload            (2 GiB, 2 rounds)
//   BENCH_SIZE_MIB=512 BENCH_ROUNDS=1 ./dev bench glance-upload
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '../support/clouds.ts';

const sizeMiB = Number(process.env.BENCH_SIZE_MIB ?? 2048);
const rounds = Number(process.env.BENCH_ROUNDS ?? 2);
const MiB = 1024 * 1024;

function makeFile(): string {
  const file = join(mkdtempSync(join(tmpdir(), 'bench-upload-')), 'disk.raw');
  const block = randomBytes(4 * MiB);
  const fd = openSync(file, 'w');
  for (let written = 0; written < sizeMiB * MiB; written += block.length) writeSync(fd, block);
  closeSync(fd);
  return file;
}

interface Run {
  seconds: number;
  maxRssMiB?: number;
}

async function main(): Promise<void> {
  const client = connect('service');
  const file = makeFile();
  const glanceRoot = (await client.session.endpoint('image')).replace(/\/v2$/, '');
  const results: { client: Run[]; curl: Run[] } = { client: [], curl: [] };
  const images: string[] = [];
  const newImage = async (label: string) => {
    const image = await client.glance.createImage({ name: `bench-${label}`, disk_format: 'raw' });
    images.push(image.id);
    return image.id;
  };

  try {
    for (let round = 1; round <= rounds; round += 1) {
      // curl, streaming the file as the request body
      const curlImage = await newImage(`curl-${round}`);
      const token = (await client.session.token()).value;
      const t0 = performance.now();
      execFileSync('curl', [
        '-sS',
        '--fail',
        '-X',
        'PUT',
        '-T',
        file,
        '-H',
        `X-Auth-Token: ${token}`,
        '-H',
        'Content-Type: application/octet-stream',
        `${glanceRoot}/v2/images/${curlImage}/file`,
      ]);
      results.curl.push({ seconds: (performance.now() - t0) / 1000 });

      // the client, in a process of its own
      const clientImage = await newImage(`client-${round}`);
      const child = spawnSync(
        process.execPath,
        [join(import.meta.dirname, 'glance-upload-child.ts'), clientImage, file],
        {
          encoding: 'utf8',
          env: process.env,
        },
      );
      if (child.status !== 0) throw new Error(`client upload failed: ${child.stderr}`);
      results.client.push(JSON.parse(child.stdout.trim().split('\n').at(-1) ?? '{}') as Run);
      process.stderr.write(`round ${round}/${rounds} done\n`);
    }
    for (const id of images) {
      const image = await client.glance.getImage(id);
      if (image.status !== 'active' || image.size !== sizeMiB * MiB)
        throw new Error(`image ${id} is ${image.status}, size ${image.size}`);
    }
  } finally {
    for (const id of images) await client.glance.deleteImage(id);
    rmSync(file, { force: true });
  }

  const best = (runs: Run[]) => Math.min(...runs.map((r) => r.seconds));
  const clientS = best(results.client);
  const curlS = best(results.curl);
  const peakRss = Math.max(...results.client.map((r) => r.maxRssMiB ?? 0));
  const ratio = curlS / clientS; // client throughput / curl throughput
  console.log(`glance upload of ${sizeMiB} MiB, best of ${rounds} round(s)`);
  console.log(
    `  client  ${clientS.toFixed(2)} s  ${(sizeMiB / clientS).toFixed(1)} MiB/s  peak RSS ${peakRss.toFixed(1)} MiB`,
  );
  console.log(`  curl -T ${curlS.toFixed(2)} s  ${(sizeMiB / curlS).toFixed(1)} MiB/s`);
  console.log(`  throughput ratio client/curl: ${ratio.toFixed(3)} (expected >= 0.9)`);
  console.log(
    `  every round: client ${results.client.map((r) => r.seconds.toFixed(2)).join(' ')} s; curl ${results.curl.map((r) => r.seconds.toFixed(2)).join(' ')} s`,
  );
  const ok = ratio >= 0.9 && peakRss < 150;
  console.log(ok ? 'expectations met' : 'EXPECTATIONS NOT MET');
  process.exitCode = ok ? 0 : 1;
}

await main();
