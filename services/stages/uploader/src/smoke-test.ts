// The optional smoke test: boot a server from the candidate in the configured project and
// flavor, wait for ACTIVE within the deadline, match the console log when a pattern is
// given - and always delete the server, whatever happened. A cancel (the signal aborted)
// ends the waits at once; the server is still deleted, without waiting for it to go.
import { setTimeout as sleep } from 'node:timers/promises';
import { type NovaClient, WaitError } from '@imagecycle/openstack';
import type { SmokeTest } from '@imagecycle/series-catalogue';
import { UploadRejected } from './errors.ts';

export interface SmokeTester {
  /** Nova, authenticated in the project the smoke test runs in. */
  nova: NovaClient;
  /**
   * Resolves the catalogue's flavor name or id to a flavor id; with none named, the smallest
   * flavor that fits the image's minimums (GiB of disk, MiB of RAM).
   */
  flavorRef(
    flavor: string | undefined,
    fit: { minDisk: number; minRam: number },
  ): Promise<string> | string;
}

export async function smokeTest(
  tester: SmokeTester,
  imageId: string,
  config: SmokeTest,
  what: string,
  signal?: AbortSignal,
  fit: { minDisk: number; minRam: number } = { minDisk: 0, minRam: 0 },
): Promise<void> {
  const nova = signal ? tester.nova.withSignal(signal) : tester.nova;
  // not cancellable: once asked for, the server's id is needed to delete it
  const server = await tester.nova.createServer({
    name: `imagecycle-smoke-${imageId.slice(0, 8)}`,
    imageRef: imageId,
    flavorRef: await tester.flavorRef(config.flavor, fit),
  });
  try {
    await nova
      .waitForServerStatus(server.id, ['ACTIVE'], config.timeoutSeconds * 1000)
      .catch((error: unknown) => {
        if (signal?.aborted) throw error; // cancelled: no verdict on the image
        // Nova unreachable or failing (5xx, a cut connection): no verdict either - the job's
        // retry boots it again. Only a server that went to ERROR, or never became ACTIVE in
        // time, judges the image.
        if (!(error instanceof WaitError)) throw error;
        throw new UploadRejected(
          'smoke-test-failed',
          `${what}: the smoke-test server did not become ACTIVE: ${(error as Error).message}`,
        );
      });
    if (config.consoleLogPattern) {
      const pattern = new RegExp(config.consoleLogPattern);
      const deadline = Date.now() + config.timeoutSeconds * 1000;
      for (;;) {
        const log = await nova.getConsoleOutput(server.id, 200);
        if (pattern.test(log)) break;
        if (Date.now() > deadline) {
          throw new UploadRejected(
            'smoke-test-failed',
            `${what}: the console log never matched /${config.consoleLogPattern}/`,
          );
        }
        await sleep(2000, undefined, { signal }).catch((error: unknown) => {
          throw signal?.aborted ? signal.reason : error;
        });
      }
    }
  } finally {
    await tester.nova.deleteServer(server.id);
    if (!signal?.aborted) await tester.nova.waitForServerGone(server.id, 120_000);
  }
}
