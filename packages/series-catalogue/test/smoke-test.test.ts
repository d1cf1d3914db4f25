// The smoke test every series gets by default: one project and flavor for all, the console
// line of the series' boot family, a series' own overrides and its opt-out, and the
// problems reported with their place in the file.
import { describe, expect, it } from 'vitest';
import {
  bootFamily,
  type CatalogueError,
  DEFAULT_CATALOGUE_PATH,
  loadCatalogue,
  parseCatalogue,
} from '../src/index.ts';

const FPR = 'A'.repeat(40);
const VARS = {
  ...Object.fromEntries(
    ['CENTOS7', 'CENTOS', 'FEDORA', 'ALMALINUX', 'ROCKY', 'WINDOWS_BUILD'].map((n) => [
      `${n}_KEY_FPR`,
      FPR,
    ]),
  ),
  SMOKE_TEST_PROJECT: 'smoke-project',
  SMOKE_TEST_FLAVOR: 'm1.large',
  END_OF_LIFE_SERIES_ENABLED: 'true',
  WINDOWS_BUILDS_ENABLED: 'true',
};

/** Real console lines of each family (cloud-init's final message, Ignition, cloudbase-init). */
const BOOTED = {
  'cloud-init':
    '[   10.301542] cloud-init[861]: Cloud-init v. 24.1.3-0ubuntu1~24.04.1 finished at Sat, 05 Dec 2026 06:30:00 +0000. Datasource DataSourceOpenStackLocal [net,ver=2].  Up 10.29 seconds',
  ignition: '[    2.702002] ignition[702]: Ignition finished successfully',
  'cloudbase-init':
    '2026-12-05 06:30:00.990 1832 INFO cloudbaseinit.init [-] Plugins execution done',
} as const;
/** Lines printed before a boot is done, or by a guest that never boots. */
const NOT_BOOTED = [
  "[    6.842190] cloud-init[701]: Cloud-init v. 24.1.3 running 'init' at Sat, 05 Dec 2026 06:30:00 +0000. Up 6.80 seconds.",
  '[    2.641000] ignition[641]: GET http://169.254.169.254/openstack/latest/user_data: attempt #1',
  "2026-12-05 06:30:00.512 1832 INFO cloudbaseinit.init [-] Executing plugin 'SetHostNamePlugin'",
  '[    1.105803] Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)',
  'FAKE CONSOLE OUTPUT\nANOTHER\nLAST LINE',
];

describe('the packaged catalogue smoke-tests every series', () => {
  it('in the one project and flavor the operator names, with the console line of its family', async () => {
    const catalogue = await loadCatalogue(DEFAULT_CATALOGUE_PATH, { vars: VARS });
    const families = Object.fromEntries(
      catalogue.series.map((s) => [s.id, s.smokeTest?.family ?? '(no smoke test)']),
    );
    expect(families).toEqual({
      'ubuntu-24.04': 'cloud-init',
      'ubuntu-minimal-24.04': 'cloud-init',
      'ubuntu-22.04': 'cloud-init',
      'ubuntu-minimal-22.04': 'cloud-init',
      'ubuntu-20.04': 'cloud-init',
      'debian-12': 'cloud-init',
      'debian-11': 'cloud-init',
      'debian-10': 'cloud-init',
      'centos-8': 'cloud-init',
      'centos-7': 'cloud-init',
      'centos-stream-9': 'cloud-init',
      'almalinux-9': 'cloud-init',
      'rocky-9': 'cloud-init',
      'fedora-coreos-stable': 'ignition',
      'flatcar-stable': 'ignition',
      'windows-2019-gui': 'cloudbase-init',
      'windows-2019-core': 'cloudbase-init',
    });
    for (const series of catalogue.series) {
      const smoke = series.smokeTest;
      expect(smoke, series.id).toMatchObject({
        project: 'smoke-project',
        flavor: 'm1.large',
        timeoutSeconds: 600,
      });
      const pattern = new RegExp(smoke?.consoleLogPattern ?? '(?!)');
      const family = smoke?.family ?? 'cloud-init';
      expect(pattern.test(BOOTED[family]), `${series.id} matches its family's line`).toBe(true);
      for (const [other, line] of Object.entries(BOOTED)) {
        if (other !== family) expect(pattern.test(line), `${series.id} vs ${other}`).toBe(false);
      }
      for (const line of NOT_BOOTED)
        expect(pattern.test(line), `${series.id}: ${line}`).toBe(false);
    }
  });

  it('loads with neither named: the publishing account’s project, the smallest flavor that fits', async () => {
    const { SMOKE_TEST_FLAVOR: _flavor, SMOKE_TEST_PROJECT: _project, ...neither } = VARS;
    const catalogue = await loadCatalogue(DEFAULT_CATALOGUE_PATH, { vars: neither });
    for (const series of catalogue.series) {
      expect(series.smokeTest, series.id).toBeDefined();
      expect(series.smokeTest?.project, series.id).toBeUndefined();
      expect(series.smokeTest?.flavor, series.id).toBeUndefined();
    }
    // named once, every series takes them
    const named = await loadCatalogue(DEFAULT_CATALOGUE_PATH, { vars: VARS });
    for (const series of named.series)
      expect(series.smokeTest).toMatchObject({
        project: VARS.SMOKE_TEST_PROJECT,
        flavor: VARS.SMOKE_TEST_FLAVOR,
      });
  });
});

const catalogueWith = (series: string, defaults = DEFAULTS) => `defaults:
${defaults}
  properties:
    architecture: x86_64
    os_version: '12'
    os_purpose: generic
    hw_disk_bus: scsi
    hw_scsi_model: virtio-scsi
    hypervisor_type: qemu
    hw_rng_model: virtio
    hw_watchdog_action: reset
    replace_frequency: weekly
    uuid_validity: none
    provided_until: notice
    image_original_user: debian
series:
  debian-12:
    title: Debian 12 Bookworm
    minRam: 512
    feed:
      kind: debian
      imagesUrl: https://cloud.debian.org/images/cloud/bookworm/
      major: 12
      arch: amd64
    signature:
      policy: none
    properties:
      os_distro: debian
${series}
`;
const DEFAULTS = `  smokeTest:
    project: smoke
    flavor: m1.large
    consoleLogPatterns:
      cloud-init: 'Cloud-init v\\. \\S+ finished at '`;

describe("a series' own smoke test", () => {
  it('overrides the defaults key by key, and false turns it off', () => {
    const own = parseCatalogue(
      catalogueWith(`    smokeTest:
      flavor: m1.xlarge
      timeoutSeconds: 120`),
      'cat.yaml',
    );
    expect(own.series[0]?.smokeTest).toEqual({
      project: 'smoke',
      flavor: 'm1.xlarge',
      timeoutSeconds: 120,
      family: 'cloud-init',
      consoleLogPattern: 'Cloud-init v\\. \\S+ finished at ',
    });
    const off = parseCatalogue(catalogueWith('    smokeTest: false'), 'cat.yaml');
    expect(off.series[0]?.smokeTest).toBeUndefined();
    // without defaults.smokeTest, no series is tested unless it asks
    const none = parseCatalogue(catalogueWith('', '  gracePeriodDays: 7'), 'cat.yaml');
    expect(none.series[0]?.smokeTest).toBeUndefined();
  });

  it("an os_distro of no known family (gentoo, in Glance's list) needs smokeTest.family or its own pattern, named at the line", () => {
    const text = catalogueWith('      os_version: "1"').replace(
      'os_distro: debian',
      'os_distro: gentoo',
    );
    const error = (() => {
      try {
        parseCatalogue(text, 'cat.yaml');
      } catch (e) {
        return e as CatalogueError;
      }
      throw new Error('parsed');
    })();
    expect(error.issues).toEqual([
      {
        file: 'cat.yaml',
        line: text.split('\n').findIndex((l) => l.includes('gentoo')) + 1,
        column: 18,
        path: 'series.debian-12.properties.os_distro',
        message:
          'os_distro "gentoo" names no boot family the smoke test knows: set smokeTest.family (cloud-init, ignition, cloudbase-init), smokeTest.consoleLogPattern, or smokeTest: false',
      },
    ]);
    const told = parseCatalogue(
      text.replace('      os_version: "1"', '    smokeTest:\n      family: cloud-init'),
      'cat.yaml',
    );
    expect(told.series[0]?.smokeTest?.family).toBe('cloud-init');
  });

  it('a family the defaults have no pattern for is reported; a series alone may leave the project to the publishing account', () => {
    const windows = catalogueWith('    smokeTest:\n      family: cloudbase-init');
    expect(() => parseCatalogue(windows, 'cat.yaml')).toThrow(
      'defaults.smokeTest.consoleLogPatterns: no console-log pattern for the cloudbase-init family, which series debian-12 boots with: add defaults.smokeTest.consoleLogPatterns.cloudbase-init',
    );
    const alone = catalogueWith('    smokeTest:\n      flavor: m1.small', '  gracePeriodDays: 7');
    const [series] = parseCatalogue(alone, 'cat.yaml').series;
    expect(series?.smokeTest).toEqual({
      flavor: 'm1.small',
      timeoutSeconds: 600,
      family: 'cloud-init',
    });
  });
});

describe('bootFamily', () => {
  it('reads os_type and os_distro', () => {
    expect(bootFamily({ os_distro: 'ubuntu' })).toBe('cloud-init');
    expect(bootFamily({ os_distro: 'flatcar' })).toBe('ignition');
    expect(bootFamily({ os_type: 'windows' })).toBe('cloudbase-init');
    expect(bootFamily({})).toBeUndefined();
  });
});
