// The local stack's compute driver (infra/local/lib/py/imagecycle_fake_compute.py), tested
// offline: its Python unit test imports Nova's fake driver (python3-nova, installed by
// infra/local/stack up) and the subclass, and checks each guest's console log against the
// console-log patterns of the packaged catalogue, which this test hands it - so the driver
// and the catalogue cannot drift apart. Nothing is booted; the running stack is not touched.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CATALOGUE_PATH, loadCatalogue } from '@imagecycle/series-catalogue';
import { REPO_ROOT } from './k8s-rules.ts';

const PY_DIR = join(REPO_ROOT, 'infra/local/lib/py');

describe('the local compute driver (imagecycle_fake_compute)', () => {
  it("prints each family's boot line the catalogue waits for, and none for a guest told to fail", async () => {
    const fingerprints = ['CENTOS7', 'CENTOS', 'FEDORA', 'ALMALINUX', 'ROCKY', 'WINDOWS_BUILD'];
    const catalogue = await loadCatalogue(DEFAULT_CATALOGUE_PATH, {
      vars: {
        ...Object.fromEntries(fingerprints.map((n) => [`${n}_KEY_FPR`, 'A'.repeat(40)])),
        SMOKE_TEST_PROJECT: 'imagecycle',
        SMOKE_TEST_FLAVOR: 'm1.large',
      },
    });
    const patterns = catalogue.defaults.smokeTest?.consoleLogPatterns;
    expect(Object.keys(patterns ?? {}).sort()).toEqual([
      'cloud-init',
      'cloudbase-init',
      'ignition',
    ]);
    const run = spawnSync(
      '/usr/bin/python3',
      ['-m', 'unittest', '-v', 'test_imagecycle_fake_compute'],
      {
        cwd: PY_DIR,
        // no __pycache__ written into the checkout
        env: {
          PATH: '/usr/bin:/bin',
          PYTHONDONTWRITEBYTECODE: '1',
          IMAGECYCLE_CONSOLE_LOG_PATTERNS: JSON.stringify(patterns),
        },
        encoding: 'utf8',
        timeout: 120_000,
      },
    );
    const output = `${run.stdout}${run.stderr}`;
    expect(
      output,
      'python3-nova missing? `infra/local/stack up` installs it (Debian package python3-nova)',
    ).not.toMatch(/No module named 'nova'/);
    expect(run.status, output).toBe(0);
    expect(output).toMatch(/^Ran 9 tests in /m);
    expect(output).toMatch(/^OK$/m);
  });
});
