import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  CatalogueError,
  catalogueJsonSchemaText,
  DEFAULT_CATALOGUE_PATH,
  loadCatalogue,
  PACKAGED_KEYRING_DIR,
  parseCatalogue,
  seriesStatus,
  substituteVars,
  type CatalogueIssue,
} from '../src/index.ts';

const FPR = '0123 4567 89AB CDEF 0123 4567 89AB CDEF 0123 4567';
/**
 * The one variable the default catalogue has no default for: the in-house Windows build key,
 * needed only once those series are switched on (every upstream's key ships with it).
 */
const WINDOWS_PIN = { WINDOWS_BUILD_KEY_FPR: FPR };

/** The SCS image metadata (scs-0102) every series must publish, given once for all. */
const SCS_DEFAULTS = `    os_purpose: generic
    hw_scsi_model: virtio-scsi
    hypervisor_type: qemu
    hw_rng_model: virtio
    hw_watchdog_action: reset
    replace_frequency: weekly
    uuid_validity: none
    provided_until: notice
    image_original_user: cloud-user
`;

const BASE = `defaults:
  properties:
    hw_disk_bus: scsi
    architecture: x86_64
${SCS_DEFAULTS}series:
  debian-12:
    title: Debian 12 Bookworm
    feed:
      kind: debian
      imagesUrl: https://cloud.debian.org/images/cloud/bookworm/
      major: 12
      arch: amd64
    signature:
      policy: none
    properties:
      os_distro: debian
      os_version: '12'
    minRam: 512
    minDisk: 8
  centos-7:
    title: CentOS 7
    feed:
      kind: checksum-list
      url: https://cloud.centos.org/centos/7/images/sha256sum.txt
      style: gnu
      algorithm: sha256
      filePattern: 'CentOS-7-x86_64-GenericCloud-(?<version>\\d{4})\\.qcow2'
    signature:
      policy: required
      keyring: /etc/keys/centos.asc
      fingerprints:
        - ${FPR}
    properties:
      os_distro: centos
      os_version: '7'
    minRam: 1024
    retention:
      keepLast: 3
`;

/** 1-based line of the first line containing `needle`. */
function lineOf(text: string, needle: string): number {
  const index = text.split('\n').findIndex((l) => l.includes(needle));
  if (index === -1) throw new Error(`not in text: ${needle}`);
  return index + 1;
}

function issuesOf(text: string, vars: Record<string, string> = {}): readonly CatalogueIssue[] {
  try {
    parseCatalogue(text, 'cat.yaml', { vars });
  } catch (e) {
    expect(e).toBeInstanceOf(CatalogueError);
    return (e as CatalogueError).issues;
  }
  throw new Error('expected the catalogue to be rejected');
}

/** Exactly one issue at `needle`'s line, with `path` and a message matching `rule`. */
function expectIssue(text: string, needle: string, path: string, rule: RegExp): CatalogueIssue {
  const issues = issuesOf(text);
  expect(issues).toHaveLength(1);
  const issue = issues[0] as CatalogueIssue;
  expect(issue).toMatchObject({ file: 'cat.yaml', path });
  if (needle !== '') expect(issue.line).toBe(lineOf(text, needle));
  expect(issue.message).toMatch(rule);
  expect(issue.column).toBeGreaterThan(0);
  return issue;
}

describe('the default catalogue', () => {
  it('validates with no variables at all, every series and title', async () => {
    const c = await loadCatalogue(DEFAULT_CATALOGUE_PATH, { vars: {} });
    expect(c.series.map((s) => s.title)).toEqual([
      'Ubuntu 24.04 Noble Numbat',
      'Ubuntu Minimal 24.04',
      'Ubuntu 22.04 Jammy Jellyfish',
      'Ubuntu Minimal 22.04',
      'Ubuntu 20.04 Focal Fossa',
      'Debian 12 Bookworm',
      'Debian 11 Bullseye',
      'Debian 10 Buster',
      'CentOS 8',
      'CentOS 7',
      'CentOS Stream 9',
      'AlmaLinux 9',
      'Rocky 9',
      'Fedora CoreOS stable',
      'Flatcar Container Linux stable',
      'Windows Server 2019 (GUI)',
      'Windows Server 2019 (Core)',
    ]);
    const byId = new Map(c.series.map((s) => [s.id, s]));
    expect(byId.get('ubuntu-24.04')).toMatchObject({ naming: 'default', vendor: 'imagecycle' });
    // KEYRING_DIR unset: the keys shipped with the package
    expect(byId.get('ubuntu-24.04')?.signature).toEqual({
      policy: 'required',
      keyring: join(PACKAGED_KEYRING_DIR, 'ubuntu.asc'),
      // the images key (SHA256SUMS.gpg) and the streams key (the clearsigned .sjson)
      fingerprints: [
        'd2eb44626fddc30b513d5bb71a5d6c4c7db87c81',
        '4a3ce3cd565d7eb5c810e2b97ff3f408476cf100',
      ],
    });
    // each upstream's published key pinned by default (keys/SOURCES.md)
    const pins = Object.fromEntries(c.series.map((s) => [s.id, s.signature.fingerprints]));
    expect(pins['centos-8']).toEqual(['99db70fae1d7ce227fb6488205b555b38483c65d']);
    expect(pins['centos-stream-9']).toEqual(['99db70fae1d7ce227fb6488205b555b38483c65d']);
    expect(pins['centos-7']).toEqual(['6341ab2753d78a78a7c27bb124c6a8a7f4a80eb5']);
    expect(pins['almalinux-9']).toEqual(['bf18ac2876178908d6e71267d36cb86cb86b3716']);
    expect(pins['rocky-9']).toEqual(['21cb256ae16fc54c6e652949702d426d350d275d']);
    expect(pins['fedora-coreos-stable']).toEqual([
      '4f50a6114cd5c6976a7f1179655a4b02f577861e',
      '36f612dcf27f7d1a48a835e4dbfcf71c6d9f90a6',
    ]);
    // the in-house key is the operator's: nothing pinned while those series are off
    expect(pins['windows-2019-gui']).toEqual([]);
    expect(byId.get('windows-2019-gui')?.enabled).toBe(false);
    expect(
      (await loadCatalogue(DEFAULT_CATALOGUE_PATH, { vars: { KEYRING_DIR: '/srv/keys' } }))
        .series[0]?.signature.keyring,
    ).toBe('/srv/keys/ubuntu.asc');
    expect(byId.get('flatcar-stable')?.signature.fingerprints).toEqual([
      'f88cfedeff29a5b4d9523864e25d9aed0593b34a',
    ]);
    expect(byId.get('debian-12')?.signature.policy).toBe('none');
    for (const s of c.series) {
      expect(Object.values(s.properties).every((v) => typeof v === 'string')).toBe(true);
      expect(s.properties.architecture).toBe('x86_64');
      expect(s.properties.hw_qemu_guest_agent).toBe('True');
      expect(s.properties.os_distro).toBeTruthy();
      expect(s.properties.image_original_user).toBeTruthy();
      if (s.signature.policy === 'required')
        expect(s.signature.fingerprints.length).toBeGreaterThan(0);
    }
    const now = new Date('2026-01-15T00:00:00Z');
    const eol = c.series.filter((s) => seriesStatus(s, now) === 'end-of-life').map((s) => s.id);
    expect(eol.sort()).toEqual(['centos-7', 'centos-8', 'debian-10', 'ubuntu-20.04']);
  });

  it('ships end-of-life and in-house (Windows) series present but switched off', async () => {
    const c = await loadCatalogue(DEFAULT_CATALOGUE_PATH, { vars: {} });
    const off = c.series.filter((s) => !s.enabled).map((s) => s.id);
    // every series past its end of life today, and the Windows builds, and nothing else
    const pastEndOfLife = c.series
      .filter((s) => seriesStatus(s) === 'end-of-life')
      .map((s) => s.id);
    const windows = c.series.filter((s) => s.feed.kind === 'build-manifest').map((s) => s.id);
    expect(windows).toEqual(['windows-2019-gui', 'windows-2019-core']);
    expect(off.sort()).toEqual([...pastEndOfLife, ...windows].sort());
    expect(off).toContain('ubuntu-20.04');

    // each switched on by its variable, as a deployment (and the test mirror) does
    const eolOn = await loadCatalogue(DEFAULT_CATALOGUE_PATH, {
      vars: { END_OF_LIFE_SERIES_ENABLED: 'true' },
    });
    expect(eolOn.series.filter((s) => !s.enabled).map((s) => s.id)).toEqual(windows);
    const allOn = await loadCatalogue(DEFAULT_CATALOGUE_PATH, {
      vars: { ...WINDOWS_PIN, END_OF_LIFE_SERIES_ENABLED: 'true', WINDOWS_BUILDS_ENABLED: 'true' },
    });
    expect(allOn.series.every((s) => s.enabled)).toBe(true);
  });

  it('points every feed URL at UPSTREAM_MIRROR when it is set, at the real upstream otherwise', async () => {
    const urls = (c: Awaited<ReturnType<typeof loadCatalogue>>) =>
      c.series.flatMap((s) =>
        Object.entries(s.feed)
          .filter(([k]) => k.endsWith('Url') || k === 'url')
          .map(([, v]) => String(v)),
      );
    // a plain-http mirror needs every feed's opt-in: the packaged catalogue refuses it, at
    // each feed URL's own line
    const packaged = readFileSync(DEFAULT_CATALOGUE_PATH, 'utf8');
    const mirrorVars = { UPSTREAM_MIRROR: 'http://127.0.0.1:8780' };
    const refused = issuesOf(packaged, mirrorVars);
    expect(refused.length).toBeGreaterThanOrEqual(20);
    for (const issue of refused) {
      expect(issue.message).toMatch(/^plain http: feed URLs must be https; .*insecureHttp/);
      expect(packaged.split('\n')[issue.line - 1]).toContain('${UPSTREAM_MIRROR:-https:/}');
    }
    const optedIn = packaged.replace(
      /^( {4}feed:\n)/gm,
      '$1      insecureHttp: { reason: local mirror on 127.0.0.1 }\n',
    );
    const mirrored = parseCatalogue(optedIn, 'cat.yaml', { vars: mirrorVars });
    expect(urls(mirrored).length).toBeGreaterThanOrEqual(20);
    for (const u of urls(mirrored)) expect(u).toMatch(/^http:\/\/127\.0\.0\.1:8780\/[a-z]/);
    const real = await loadCatalogue(DEFAULT_CATALOGUE_PATH, { vars: {} });
    for (const u of urls(real)) expect(u).toMatch(/^https:\/\/[a-z]/);
    const ubuntu = real.series.find((s) => s.id === 'ubuntu-24.04');
    expect(ubuntu?.feed).toMatchObject({
      indexUrl: 'https://cloud-images.ubuntu.com/releases/streams/v1/index.json',
    });
  });

  it('names WINDOWS_BUILD_KEY_FPR at its line once the Windows builds are switched on without it', async () => {
    const text = readFileSync(DEFAULT_CATALOGUE_PATH, 'utf8');
    const issues = issuesOf(text, { WINDOWS_BUILDS_ENABLED: 'true' });
    // one anchored signature block shared by both Windows series: one problem naming both
    expect(issues).toHaveLength(1);
    const issue = issues[0] as CatalogueIssue;
    expect(issue.path).toBe('series.windows-2019-gui.signature.fingerprints[0]');
    expect(text.split('\n')[issue.line - 1]).toContain('${WINDOWS_BUILD_KEY_FPR:-}');
    expect(issue.column).toBe((text.split('\n')[issue.line - 1]?.indexOf('$') ?? -1) + 1);
    expect(issue.message).toBe(
      "no fingerprint pinned while the series is enabled: set ${WINDOWS_BUILD_KEY_FPR} to the signing key's fingerprint (and put its key in the keyring), or switch the series off [series windows-2019-gui, windows-2019-core]",
    );
    await expect(
      loadCatalogue(DEFAULT_CATALOGUE_PATH, { vars: { WINDOWS_BUILDS_ENABLED: 'true' } }),
    ).rejects.toBeInstanceOf(CatalogueError);
    // pinned: valid
    await loadCatalogue(DEFAULT_CATALOGUE_PATH, {
      vars: { WINDOWS_BUILDS_ENABLED: 'true', ...WINDOWS_PIN },
    });
  });

  it('starts with the yaml-language-server schema comment', () => {
    const first = readFileSync(DEFAULT_CATALOGUE_PATH, 'utf8').split('\n')[0];
    expect(first).toBe('# yaml-language-server: $schema=./schema/catalogue.schema.json');
  });
});

describe('resolution', () => {
  it('merges defaults under each series', () => {
    const c = parseCatalogue(BASE, 'cat.yaml');
    const [debian, centos] = c.series;
    expect(c.defaults.schedule).toEqual({ cron: '0 4 * * *', timezone: 'UTC' });
    expect(c.defaults.gracePeriodDays).toBe(7);
    expect(debian?.properties).toEqual({
      hw_disk_bus: 'scsi',
      hw_scsi_model: 'virtio-scsi',
      architecture: 'x86_64',
      os_purpose: 'generic',
      hypervisor_type: 'qemu',
      hw_rng_model: 'virtio',
      hw_watchdog_action: 'reset',
      replace_frequency: 'weekly',
      uuid_validity: 'none',
      provided_until: 'notice',
      image_original_user: 'cloud-user',
      os_distro: 'debian',
      os_version: '12',
    });
    expect(debian?.retention).toEqual({ keepLast: 1, minimumAgeDays: 0 });
    expect(centos?.retention).toEqual({ keepLast: 3, minimumAgeDays: 0 });
    expect(debian?.schedule).toEqual({ cron: '0 4 * * *', timezone: 'UTC' });
    expect(debian).toMatchObject({
      minDisk: 8,
      minRam: 512,
      retired: false,
      communityHidden: false,
    });
    expect(centos?.signature.fingerprints).toEqual(['0123456789abcdef0123456789abcdef01234567']);
  });

  it('lets a series override a default property and the schedule', () => {
    const text = BASE.replace(
      '    minRam: 512\n    minDisk: 8',
      "      hw_disk_bus: virtio\n    minRam: 512\n    minDisk: 8\n    schedule:\n      cron: '30 2 * * *'\n    gracePeriodDays: 2",
    );
    const debian = parseCatalogue(text, 'cat.yaml').series[0];
    expect(debian?.properties.hw_disk_bus).toBe('virtio');
    expect(debian?.schedule).toEqual({ cron: '30 2 * * *', timezone: 'UTC' });
    expect(debian?.gracePeriodDays).toBe(2);
  });

  it('overlaps download and upload unless a series says overlap: false', () => {
    expect(parseCatalogue(BASE, 'cat.yaml').series.map((s) => s.overlap)).toEqual([true, true]);
    const text = BASE.replace('    minDisk: 8', '    minDisk: 8\n    overlap: false');
    expect(parseCatalogue(text, 'cat.yaml').series.map((s) => s.overlap)).toEqual([false, true]);
    expectIssue(
      BASE.replace('    minDisk: 8', '    minDisk: 8\n    overlap: sometimes'),
      'overlap: sometimes',
      'series.debian-12.overlap',
      /true or false/,
    );
  });

  it('anchors the file pattern', () => {
    const centos = parseCatalogue(BASE, 'cat.yaml').series[1];
    if (centos?.feed.kind !== 'checksum-list') throw new Error('expected checksum-list');
    const re = centos.feed.fileRegExp;
    expect(re.exec('CentOS-7-x86_64-GenericCloud-2211.qcow2')?.groups?.version).toBe('2211');
    expect(re.test('CentOS-7-x86_64-GenericCloud-2211.qcow2.xz')).toBe(false);
    expect(re.test('x-CentOS-7-x86_64-GenericCloud-2211.qcow2')).toBe(false);
  });

  it('reports seriesStatus by the end-of-life day', () => {
    expect(seriesStatus({ endOfLife: undefined }, new Date('2099-01-01'))).toBe('supported');
    expect(seriesStatus({ endOfLife: '2024-06-30' }, new Date('2024-06-30T23:59:59Z'))).toBe(
      'supported',
    );
    expect(seriesStatus({ endOfLife: '2024-06-30' }, new Date('2024-07-01T00:00:00Z'))).toBe(
      'end-of-life',
    );
  });
});

describe('variables', () => {
  it('substitutes ${NAME} and ${NAME:-default}, keeps $${ literal', () => {
    expect(substituteVars('${A}/x', { A: 'a' }).value).toBe('a/x');
    expect(substituteVars('${A:-https:/}/h', {}).value).toBe('https://h');
    expect(substituteVars('${A:-d}', { A: '' }).value).toBe('d');
    expect(substituteVars('$${A}', { A: 'a' }).value).toBe('${A}');
    expect(substituteVars('${A}', {}).errors[0]).toMatch(/undefined variable \$\{A\}/);
    expect(substituteVars('${A', {}).errors[0]).toMatch(/unterminated/);
    expect(substituteVars('${1A}', {}).errors[0]).toMatch(/invalid variable reference/);
  });

  it('reports an undefined variable with file, line and path', () => {
    const text = BASE.replace(
      'imagesUrl: https://cloud.debian.org/images/cloud/bookworm/',
      'imagesUrl: ${DEBIAN_MIRROR}/images/cloud/bookworm/',
    );
    expectIssue(
      text,
      'DEBIAN_MIRROR',
      'series.debian-12.feed.imagesUrl',
      /undefined variable \$\{DEBIAN_MIRROR\}/,
    );
    const ok = parseCatalogue(text, 'cat.yaml', {
      vars: { DEBIAN_MIRROR: 'https://mirror.example/debian' },
    });
    expect(ok.series[0]?.feed).toMatchObject({
      imagesUrl: 'https://mirror.example/debian/images/cloud/bookworm/',
    });
  });

  it('keeps $${ as a literal ${ in a value', () => {
    const text = BASE.replace(
      '      os_distro: debian',
      () => "      os_distro: debian\n      image_description: 'see $${DOCS}'",
    );
    expect(parseCatalogue(text, 'cat.yaml').series[0]?.properties.image_description).toBe(
      'see ${DOCS}',
    );
  });
});

describe('the enabled switch', () => {
  it('is on unless the series says false', () => {
    const c = parseCatalogue(BASE, 'cat.yaml', { vars: { FPR: 'a'.repeat(40) } });
    expect(c.series.map((s) => [s.id, s.enabled])).toEqual([
      ['debian-12', true],
      ['centos-7', true],
    ]);
    const off = BASE.replace('  centos-7:\n', '  centos-7:\n    enabled: false\n');
    const parsed = parseCatalogue(off, 'cat.yaml', { vars: { FPR: 'a'.repeat(40) } });
    expect(parsed.series.map((s) => s.enabled)).toEqual([true, false]);
  });

  it('takes "true"/"false" from a variable, and refuses anything else naming where', () => {
    const text = BASE.replace('  centos-7:\n', '  centos-7:\n    enabled: ${CENTOS_ON:-false}\n');
    const vars = { FPR: 'a'.repeat(40) };
    expect(parseCatalogue(text, 'cat.yaml', { vars }).series[1]?.enabled).toBe(false);
    const on = parseCatalogue(text, 'cat.yaml', { vars: { ...vars, CENTOS_ON: 'true' } });
    expect(on.series[1]?.enabled).toBe(true);
    const issues = issuesOf(text, { ...vars, CENTOS_ON: 'yes' });
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({
      file: 'cat.yaml',
      line: lineOf(text, 'enabled:'),
      path: 'series.centos-7.enabled',
      message: 'must be true or false',
    });
    expect(issues[0]?.column).toBeGreaterThan(0);
  });
});

describe('each broken rule is reported with file, line, path and rule', () => {
  it("a cron expression the scheduler would refuse, with the parser's reason", () => {
    const withCron = (cron: string) =>
      BASE.replace(
        '    minDisk: 8\n  centos-7:',
        `    minDisk: 8\n    schedule:\n      cron: '${cron}'\n  centos-7:`,
      );
    // accepted: 5 fields, 6 with seconds, names and steps
    for (const cron of ['30 2 * * *', '0 30 2 * * *', '0 4 * * mon-fri', '*/15 * * * *'])
      expect(() =>
        parseCatalogue(withCron(cron), 'cat.yaml', { vars: { FPR: 'a'.repeat(40) } }),
      ).not.toThrow();
    for (const [cron, reason] of [
      ['61 4 * * *', /not a valid cron expression: .*61 expected range 0-59/],
      ['0 25 * * *', /not a valid cron expression: .*25 expected range 0-23/],
      ['0 4 * * someday', /not a valid cron expression: .*cannot resolve alias/],
      ['0 4 31 2 *', /not a valid cron expression: Invalid explicit day of month/],
      ['*/0 * * * *', /not a valid cron expression: .*every 0/],
    ] as const) {
      const text = withCron(cron);
      const issues = issuesOf(text, { FPR: 'a'.repeat(40) });
      expect(issues, cron).toHaveLength(1);
      expect(issues[0], cron).toMatchObject({
        file: 'cat.yaml',
        line: lineOf(text, `cron: '${cron}'`),
        path: 'series.debian-12.schedule.cron',
      });
      expect(issues[0]?.column, cron).toBe(
        text.split('\n')[lineOf(text, 'cron:') - 1]!.indexOf("'") + 1,
      );
      expect(issues[0]?.message, cron).toMatch(reason);
    }
    // the field count keeps its own rule, stated once
    const four = issuesOf(withCron('0 4 * *'), { FPR: 'a'.repeat(40) });
    expect(four.map((i) => i.message)).toEqual([
      'must be a cron expression of 5 (or 6, with seconds) fields',
    ]);
  });

  it('wrong type', () => {
    const text = BASE.replace('minDisk: 8', 'minDisk: big');
    expectIssue(text, 'minDisk: big', 'series.debian-12.minDisk', /must be a number/);
  });

  it('unknown feed kind', () => {
    const text = BASE.replace('kind: debian', 'kind: gentoo');
    expectIssue(
      text,
      'kind: gentoo',
      'series.debian-12.feed.kind',
      /unknown feed kind.*checksum-list/,
    );
  });

  it('missing required field points at its parent', () => {
    const text = BASE.replace('      major: 12\n', '');
    const issue = expectIssue(text, '    feed:', 'series.debian-12.feed.major', /required/);
    expect(issue.column).toBe(5);
  });

  it('invalid URL', () => {
    const text = BASE.replace(
      'url: https://cloud.centos.org/centos/7/images/sha256sum.txt',
      'url: cloud.centos.org/x',
    );
    expectIssue(
      text,
      'url: cloud.centos.org/x',
      'series.centos-7.feed.url',
      /absolute http\(s\) URL/,
    );
  });

  it('a file pattern that is not a RegExp', () => {
    const text = BASE.replace(/filePattern: .*/, "filePattern: 'CentOS-(?<version>\\d+'");
    expectIssue(
      text,
      'filePattern:',
      'series.centos-7.feed.filePattern',
      /not a valid regular expression/,
    );
  });

  it('a file pattern without a version group', () => {
    const text = BASE.replace(/filePattern: .*/, "filePattern: 'CentOS-7-(\\d{4})\\.qcow2'");
    expectIssue(
      text,
      'filePattern:',
      'series.centos-7.feed.filePattern',
      /named group \(\?<version>/,
    );
  });

  it('a numeric property', () => {
    const text = BASE.replace("os_version: '12'", 'os_version: 12');
    expectIssue(
      text,
      'os_version: 12',
      'series.debian-12.properties.os_version',
      /must be strings: quote/,
    );
  });

  it('a boolean extra property', () => {
    const text = BASE.replace(
      '    hw_disk_bus: scsi',
      '    hw_disk_bus: scsi\n    hw_vif_multiqueue_enabled: true',
    );
    expectIssue(
      text,
      'hw_vif_multiqueue_enabled',
      'defaults.properties.hw_vif_multiqueue_enabled',
      /must be strings: quote/,
    );
  });

  it('an os_glance_ property', () => {
    const text = BASE.replace(
      "os_version: '12'",
      "os_version: '12'\n      os_glance_import_method: web",
    );
    expectIssue(
      text,
      'os_glance_import_method',
      'series.debian-12.properties.os_glance_import_method',
      /reserved by Glance/,
    );
  });

  it('a Glance image attribute as a property', () => {
    const text = BASE.replace("os_version: '12'", "os_version: '12'\n      min_disk: '8'");
    expectIssue(
      text,
      "min_disk: '8'",
      'series.debian-12.properties.min_disk',
      /image field imagecycle sets itself.*minDisk/,
    );
  });

  it.each([
    ['visibility', /"visibility" is reserved: an image field imagecycle sets itself/],
    ['name', /"name" is reserved: an image field imagecycle sets itself/],
    ['owner', /"owner" is reserved: an image field imagecycle sets itself/],
    ['os_hidden', /"os_hidden" is reserved: an image field imagecycle sets itself/],
    ['imagecycle_state', /"imagecycle_state" is reserved: imagecycle sets it itself/],
    ['upstream_checksum', /"upstream_checksum" is reserved: imagecycle sets it itself/],
  ])('a reserved name as a series property: %s, at its file:line:column', (name, rule) => {
    const text = BASE.replace("os_version: '12'", `os_version: '12'\n      ${name}: 'x'`);
    const issue = expectIssue(text, `${name}: 'x'`, `series.debian-12.properties.${name}`, rule);
    expect(issue.column).toBe(7 + `${name}: `.length); // at the value, like every issue
  });

  it('property names are checked even when a value is wrong too', () => {
    const text = BASE.replace("os_version: '12'", "os_version: 12\n      os_glance_x: 'y'");
    expect(issuesOf(text).map((i) => [i.line, i.path])).toEqual([
      [lineOf(text, 'os_version: 12'), 'series.debian-12.properties.os_version'],
      [lineOf(text, 'os_glance_x'), 'series.debian-12.properties.os_glance_x'],
    ]);
  });

  it('a bad SCS value', () => {
    const text = BASE.replace(
      "os_version: '12'",
      "os_version: '12'\n      uuid_validity: sometimes",
    );
    expectIssue(
      text,
      'uuid_validity: sometimes',
      'series.debian-12.properties.uuid_validity',
      /last-N/,
    );
  });

  it('a bad fingerprint', () => {
    const text = BASE.replace(`- ${FPR}`, '- 0123 4567 89AB');
    expectIssue(
      text,
      '- 0123 4567 89AB',
      'series.centos-7.signature.fingerprints[0]',
      /40 hex digits/,
    );
  });

  it('a required signature without fingerprints', () => {
    const text = BASE.replace(`      fingerprints:\n        - ${FPR}\n`, '');
    const issue = expectIssue(
      text,
      '',
      'series.centos-7.signature.fingerprints',
      /needs at least one fingerprint/,
    );
    // a missing key is reported at its parent's key: `signature:` of centos-7
    expect(issue.line).toBe(lineOf(text, 'policy: required') - 1);
  });

  it('a required signature with an empty fingerprint list', () => {
    const text = BASE.replace(
      `      fingerprints:\n        - ${FPR}\n`,
      '      fingerprints: []\n',
    );
    expectIssue(
      text,
      'fingerprints: []',
      'series.centos-7.signature.fingerprints',
      /needs at least one fingerprint/,
    );
  });

  it('a duplicate title', () => {
    const text = BASE.replace('title: CentOS 7', 'title: Debian 12 Bookworm');
    const issue = expectIssue(text, '', 'series.centos-7.title', /duplicate title.*debian-12/);
    expect(issue.line).toBe(lineOf(BASE, 'title: CentOS 7'));
    expect(issue.column).toBe(12);
  });

  it('a bad series id', () => {
    const text = BASE.replace('  debian-12:', '  Debian_12:');
    expectIssue(text, 'Debian_12:', 'series.Debian_12', /series ids must match/);
  });

  it('an unknown key', () => {
    const text = BASE.replace('    minDisk: 8', '    minDisc: 8');
    expectIssue(text, 'minDisc', 'series.debian-12', /unknown key: minDisc/);
  });

  it('a retention floor below uuid_validity last-N', () => {
    const text = BASE.replace("os_version: '12'", "os_version: '12'\n      uuid_validity: last-3");
    expectIssue(
      text,
      'uuid_validity: last-3',
      'series.debian-12.properties.uuid_validity',
      /keepLast to at least 2/,
    );
  });

  it('all problems at once, in line order, in a readable message', () => {
    const text = BASE.replace('minDisk: 8', 'minDisk: big')
      .replace('kind: checksum-list', 'kind: nope')
      .replace("os_version: '12'", 'os_version: 12');
    let error: unknown;
    try {
      parseCatalogue(text, 'cat.yaml');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CatalogueError);
    const e = error as CatalogueError;
    expect(e.issues.map((i) => i.path)).toEqual([
      'series.debian-12.properties.os_version',
      'series.debian-12.minDisk',
      'series.centos-7.feed.kind',
    ]);
    const lines = e.message.split('\n');
    expect(lines[0]).toBe('cat.yaml: 3 problems in the catalogue');
    expect(lines[2]).toBe(
      `  cat.yaml:${lineOf(text, 'minDisk: big')}:14: series.debian-12.minDisk: must be a number (GiB)`,
    );
  });
});

describe('YAML errors', () => {
  it('a syntax error with its line', () => {
    const text = BASE.replace('      major: 12', '      major: [12');
    const issues = issuesOf(text);
    expect(issues.length).toBeGreaterThanOrEqual(1);
    expect(issues[0]?.message).toMatch(/^YAML syntax/);
    expect(issues[0]?.file).toBe('cat.yaml');
    expect(issues[0]?.line).toBeGreaterThanOrEqual(lineOf(text, 'major: [12'));
  });

  it('a bad indentation on its own line', () => {
    const text = BASE.replace('    title: CentOS 7', '   title: CentOS 7');
    const issues = issuesOf(text);
    expect(issues[0]?.message).toMatch(/^YAML syntax/);
    expect(issues[0]?.line).toBe(lineOf(text, '   title: CentOS 7'));
  });

  it('a duplicate key', () => {
    const text = BASE.replace('    minDisk: 8', '    minDisk: 8\n    minDisk: 9');
    const issues = issuesOf(text);
    expect(issues[0]?.message).toMatch(/YAML syntax.*unique/i);
    expect(issues[0]?.line).toBe(lineOf(text, 'minDisk: 9'));
  });

  it('an empty document', () => {
    const issues = issuesOf('# nothing\n');
    expect(issues[0]).toMatchObject({ file: 'cat.yaml', line: 1, path: '' });
  });
});

describe('JSON Schema', () => {
  it('the committed schema is what scripts/write-schema.ts generates', () => {
    const committed = readFileSync(
      fileURLToPath(new URL('../schema/catalogue.schema.json', import.meta.url)),
      'utf8',
    );
    expect(committed).toBe(catalogueJsonSchemaText());
  });

  it('describes the feed kinds and the string-only properties', () => {
    const schema = JSON.parse(catalogueJsonSchemaText()) as Record<string, unknown>;
    const text = JSON.stringify(schema);
    for (const kind of [
      'ubuntu-simplestreams',
      'debian',
      'checksum-list',
      'fedora-coreos',
      'flatcar',
      'build-manifest',
    ]) {
      expect(text).toContain(`"const":"${kind}"`);
    }
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
  });
});

describe('validate CLI', () => {
  const cli = fileURLToPath(new URL('../src/cli/validate.ts', import.meta.url));
  const run = (args: string[], env: Record<string, string> = {}) =>
    spawnSync(process.execPath, [cli, ...args], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '', ...env },
    });
  const dir = mkdtempSync(join(tmpdir(), 'series-catalogue-'));

  it('exits 0 for the packaged catalogue with no variables set: its keyrings are shipped', () => {
    const r = run([]);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toMatch(/^ok: 17 series \(\d+ past end of life\)$/);
    expect(r.status).toBe(0);
  });

  it('exits 1 with every problem for an invalid one', () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(
      file,
      BASE.replace('minDisk: 8', 'minDisk: big').replace('kind: debian', 'kind: gentoo'),
    );
    const r = run([file]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(
      `${file}:${lineOf(BASE, 'minDisk: 8')}:14: series.debian-12.minDisk`,
    );
    expect(r.stderr).toContain('series.debian-12.feed.kind: unknown feed kind');
  });

  it('--json: one object for scripts, valid or not', () => {
    const ok = run(['--json']);
    expect(ok.status).toBe(0);
    const body = JSON.parse(ok.stdout) as { ok: boolean; series: string[]; endOfLife: string[] };
    expect(body.ok).toBe(true);
    expect(body.series).toHaveLength(17);
    expect(body.endOfLife).toContain('centos-7');
    const file = join(dir, 'bad-json.yaml');
    writeFileSync(file, BASE.replace('minDisk: 8', 'minDisk: big'));
    const bad = run([file, '--json']);
    expect(bad.status).toBe(1);
    const problems = JSON.parse(bad.stdout) as { ok: boolean; problems: string[] };
    expect(problems.ok).toBe(false);
    expect(problems.problems[0]).toContain(
      `${file}:${lineOf(BASE, 'minDisk: 8')}:14: series.debian-12.minDisk`,
    );
  });

  it('exits 1 naming the fingerprint that is not in its keyring, at its line and column', () => {
    const text = readFileSync(DEFAULT_CATALOGUE_PATH, 'utf8');
    const r = run([], { FEDORA_KEY_FPR: FPR });
    expect(r.status).toBe(1);
    const line = lineOf(text, '${FEDORA_KEY_FPR:-');
    const column = (text.split('\n')[line - 1]?.indexOf('$') ?? -1) + 1;
    expect(r.stderr).toContain(
      `${DEFAULT_CATALOGUE_PATH}:${line}:${column}: series.fedora-coreos-stable.signature.fingerprints[0]: fingerprint 0123 4567 89AB CDEF 0123 4567 89AB CDEF 0123 4567 is neither a primary key nor a subkey in keyring ${join(PACKAGED_KEYRING_DIR, 'fedora.asc')}`,
    );
    expect(r.stderr).toMatch(/^.*1 problem in the catalogue/);
  });

  it('exits 1 naming each keyring of an enabled series that is missing, at its line', () => {
    const text = readFileSync(DEFAULT_CATALOGUE_PATH, 'utf8');
    const keys = mkdtempSync(join(tmpdir(), 'keys-'));
    // every shipped keyring but Flatcar's
    for (const name of ['ubuntu', 'centos', 'centos7', 'almalinux', 'rocky', 'fedora'])
      writeFileSync(
        join(keys, `${name}.asc`),
        readFileSync(join(PACKAGED_KEYRING_DIR, `${name}.asc`)),
      );
    const r = run([], { KEYRING_DIR: keys });
    expect(r.status).toBe(1);
    const line = lineOf(text, '${KEYRING_DIR}/flatcar.asc');
    expect(r.stderr).toContain(
      `${DEFAULT_CATALOGUE_PATH}:${line}:16: series.flatcar-stable.signature.keyring: keyring ${join(keys, 'flatcar.asc')} does not exist`,
    );
    expect(r.stderr).toContain('1 problem in the catalogue');
  });

  it('exits 2 for an unreadable file', () => {
    const r = run([join(dir, 'missing.yaml')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/cannot read/);
  });
});

describe('transport and signature rules a feed must be able to keep', () => {
  const withFeedUrl = (url: string, extra = '') =>
    BASE.replace(
      'url: https://cloud.centos.org/centos/7/images/sha256sum.txt',
      `url: ${url}${extra}`,
    );

  it('refuses a plain-http feed URL without the opt-in, at the URL', () => {
    const text = withFeedUrl('http://mirror.example/centos/7/images/sha256sum.txt');
    expectIssue(
      text,
      'url: http://mirror.example',
      'series.centos-7.feed.url',
      /^plain http: feed URLs must be https; a mirror that serves only http needs the feed's opt-in insecureHttp: \{ reason: "\.\.\." \}$/,
    );
  });

  it("accepts plain http with the feed's opt-in and its reason, and keeps the reason", () => {
    const text = withFeedUrl(
      'http://mirror.example/centos/7/images/sha256sum.txt',
      '\n      insecureHttp:\n        reason: the campus mirror serves http only',
    );
    const centos = parseCatalogue(text, 'cat.yaml').series[1];
    expect(centos?.feed.insecureHttp).toEqual({ reason: 'the campus mirror serves http only' });
  });

  it('an opt-in needs a reason', () => {
    const text = withFeedUrl(
      'http://mirror.example/centos/7/images/sha256sum.txt',
      "\n      insecureHttp:\n        reason: ' '",
    );
    expectIssue(
      text,
      "reason: ' '",
      'series.centos-7.feed.insecureHttp.reason',
      /must not be empty: say why plain http is acceptable/,
    );
  });

  it.each(['required', 'optional'])(
    'refuses signature policy %s for Debian, which publishes no signature, at the policy',
    (policy) => {
      const text = BASE.replace(
        '    signature:\n      policy: none',
        `    signature:\n      policy: ${policy}\n      keyring: /etc/keys/debian.asc\n      fingerprints:\n        - ${FPR}`,
      );
      expect(text).not.toBe(BASE);
      expectIssue(
        text,
        `policy: ${policy}`,
        'series.debian-12.signature.policy',
        new RegExp(
          `^Debian publishes no signature over its cloud images \\(only SHA512SUMS\\): policy "${policy}" could never be satisfied; use policy "none"$`,
        ),
      );
    },
  );
});

describe('SCS 0102 image metadata: validate refuses what would publish non-conforming metadata', () => {
  it('a value against a rule, at its own file:line:column', () => {
    const text = BASE.replace("os_version: '12'", 'os_version: bookworm');
    const issue = expectIssue(
      text,
      'os_version: bookworm',
      'series.debian-12.properties.os_version',
      /^SCS 0102: "bookworm" is not numeric: debian numbers its releases/,
    );
    expect(issue.column).toBe((text.split('\n')[issue.line - 1] ?? '').indexOf('bookworm') + 1);
    expectIssue(
      BASE.replace('os_distro: debian', 'os_distro: Debian'),
      'os_distro: Debian',
      'series.debian-12.properties.os_distro',
      /not an os_distro of Glance's list/,
    );
  });

  it('a default that breaks a rule names every series it reaches, at the default', () => {
    const text = BASE.replace('architecture: x86_64', 'architecture: amd64');
    const issues = issuesOf(text);
    expect(issues.map((i) => [i.line, i.path, i.message])).toEqual(
      ['debian-12', 'centos-7'].map((id): unknown[] => [
        lineOf(text, 'architecture: amd64'),
        'defaults.properties.architecture',
        expect.stringMatching(new RegExp(`^SCS 0102: series ${id}: "amd64" is not one of alpha`)),
      ]),
    );
  });

  it('a Glance value the official SCS conformance test refuses, at its file:line:column', () => {
    const text = BASE.replace(
      "os_distro: debian\n      os_version: '12'",
      "os_distro: debian\n      os_version: '12'\n      hw_disk_bus: ide\n      hypervisor_type: vmware",
    );
    const issues = issuesOf(text);
    const line = (needle: string) => text.split('\n')[lineOf(text, needle) - 1] ?? '';
    expect(issues.map((i) => `${i.file}:${i.line}:${i.column} ${i.path}: ${i.message}`)).toEqual([
      `cat.yaml:${lineOf(text, 'hw_disk_bus: ide')}:${line('hw_disk_bus: ide').indexOf('ide') + 1} series.debian-12.properties.hw_disk_bus: SCS 0102: "ide" is in Glance's list, but the SCS conformance test (scs-0102-prop-hw_disk_bus) accepts only virtio, scsi`,
      `cat.yaml:${lineOf(text, 'hypervisor_type: vmware')}:${line('hypervisor_type: vmware').indexOf('vmware') + 1} series.debian-12.properties.hypervisor_type: SCS 0102: "vmware" is in Glance's list, but the SCS conformance test (scs-0102-prop-hypervisor_type) accepts only qemu, xen`,
    ]);
  });

  it('hw_disk_bus scsi without hw_scsi_model, at the series; an optional property the standard names, checked when given', () => {
    const text = BASE.replace('    hw_scsi_model: virtio-scsi\n', '').replace(
      "os_distro: centos\n      os_version: '7'",
      "os_distro: centos\n      os_version: '7'\n      hw_disk_bus: virtio\n      maintained_until: 2024-06-31",
    );
    expect(issuesOf(text).map((i) => [i.line, i.path, i.message])).toEqual([
      [
        lineOf(text, 'os_distro: debian') - 1, // its properties
        'series.debian-12.properties.hw_scsi_model',
        'SCS 0102: required: one of virtio-scsi',
      ],
      [
        lineOf(text, 'maintained_until: 2024-06-31'),
        'series.centos-7.properties.maintained_until',
        'SCS 0102: "2024-06-31" is not a date YYYY-MM-DD',
      ],
    ]);
  });

  it("naming default with a provided_until ahead: the conformance test's recency check would fail the older images", () => {
    const eol = BASE.replace('    minRam: 512\n', '    minRam: 512\n    endOfLife: 2028-06-30\n');
    const at = (now: string) => {
      try {
        parseCatalogue(eol, 'cat.yaml', { now: new Date(now) });
        return [];
      } catch (e) {
        return (e as CatalogueError).issues.map(
          (i) => `${i.line}:${i.column} ${i.path}: ${i.message}`,
        );
      }
    };
    const line = lineOf(eol, 'endOfLife: 2028-06-30');
    const column = (eol.split('\n')[line - 1] ?? '').indexOf('2028') + 1;
    expect(at('2028-06-30T23:59:59Z')).toEqual([
      `${line}:${column} series.debian-12.endOfLife: SCS 0102: with naming default, the SCS conformance test (scs-0102-image-recency) fails on this series' older images once they are outdated (replace_frequency weekly) while provided_until 2028-06-30 is ahead: it looks for their successor under the name without its last word ("Debian 12 Bookworm -"), which no image carries. Use naming: scs ("Debian 12 Bookworm <YYYYMMDD>" -> "Debian 12 Bookworm"), or provided_until notice`,
    ]);
    // past the day, nothing is promised; naming scs, notice, or never are fine
    expect(at('2028-07-01T00:00:00Z')).toEqual([]);
    expect(() =>
      parseCatalogue(`naming: scs\n${eol}`, 'cat.yaml', { now: new Date('2026-12-05') }),
    ).not.toThrow();
    expect(() => parseCatalogue(BASE, 'cat.yaml', { now: new Date('2026-12-05') })).not.toThrow();
    const never = eol.replace(
      "os_distro: debian\n      os_version: '12'",
      "os_distro: debian\n      os_version: '12'\n      replace_frequency: never",
    );
    expect(() => parseCatalogue(never, 'cat.yaml', { now: new Date('2026-12-05') })).not.toThrow();
  });

  it('a missing property, at the series', () => {
    const text = BASE.replace('    hw_watchdog_action: reset\n', '');
    const issues = issuesOf(text);
    expect(issues.map((i) => [i.line, i.path, i.message])).toEqual([
      [
        lineOf(text, 'os_distro: debian') - 1, // its properties
        'series.debian-12.properties.hw_watchdog_action',
        expect.stringMatching(/^SCS 0102: required: one of disabled, reset/),
      ],
      [
        lineOf(text, 'os_distro: centos') - 1,
        'series.centos-7.properties.hw_watchdog_action',
        expect.stringMatching(/^SCS 0102: required/),
      ],
    ]);
  });

  it('min_ram is required', () => {
    expectIssue(
      BASE.replace('    minRam: 512\n', '    minRam: 0\n'),
      'minRam: 0',
      'series.debian-12.minRam',
      /^SCS 0102: min_ram is required/,
    );
  });

  it('two generic series of one architecture, distribution and version: the second is refused', () => {
    const text = BASE.replace(
      "os_distro: centos\n      os_version: '7'",
      "os_distro: debian\n      os_version: '12'",
    );
    const issue = expectIssue(
      text,
      '',
      'defaults.properties.os_purpose',
      /^SCS 0102: series centos-7: os_purpose generic must be unique .*\(x86_64\/debian\/12\), and series debian-12 already publishes it/,
    );
    expect(issue.line).toBe(lineOf(text, 'os_purpose: generic'));
    // another purpose, or a retired series, makes it unique again
    const minimal = text.replace(
      "os_version: '12'\n    minRam: 1024",
      "os_version: '12'\n      os_purpose: minimal\n    minRam: 1024",
    );
    expect(() =>
      parseCatalogue(minimal, 'cat.yaml', { vars: { FPR: 'a'.repeat(40) } }),
    ).not.toThrow();
    const retired = text.replace('    minRam: 1024\n', '    minRam: 1024\n    retired: true\n');
    expect(() =>
      parseCatalogue(retired, 'cat.yaml', { vars: { FPR: 'a'.repeat(40) } }),
    ).not.toThrow();
  });

  it('the packaged catalogue: both Windows Server 2019 builds generic is refused', () => {
    const text = readFileSync(DEFAULT_CATALOGUE_PATH, 'utf8').replace(
      '      # generic is unique per distribution and version: the GUI build is the generic one\n      os_purpose: minimal\n',
      '',
    );
    const issues = issuesOf(text, WINDOWS_PIN);
    expect(issues.map((i) => [i.path, i.message])).toEqual([
      [
        'defaults.properties.os_purpose',
        expect.stringMatching(
          /series windows-2019-core: os_purpose generic must be unique .*x86_64\/windows\/2019.*windows-2019-gui/,
        ),
      ],
    ]);
  });

  it('provided_until comes from endOfLife; a series that says otherwise is refused', () => {
    // (naming scs: the default scheme with a provided_until ahead is refused, below)
    const eol = `naming: scs\n${BASE}`.replace(
      '    minRam: 512\n',
      '    minRam: 512\n    endOfLife: 2028-06-30\n',
    );
    expect(parseCatalogue(eol, 'cat.yaml').series[0]?.properties.provided_until).toBe('2028-06-30');
    const both = eol.replace("os_version: '12'", "os_version: '12'\n      provided_until: none");
    expectIssue(
      both,
      'provided_until: none',
      'series.debian-12.properties.provided_until',
      /^SCS 0102: provided_until comes from endOfLife \(2028-06-30\): remove "none"/,
    );
  });

  it('naming and vendor: catalogue choices, checked', () => {
    const scs = parseCatalogue(`naming: scs\nvendor: example-cloud\n${BASE}`, 'cat.yaml');
    expect(scs.series.map((s) => [s.naming, s.vendor])).toEqual([
      ['scs', 'example-cloud'],
      ['scs', 'example-cloud'],
    ]);
    const text = `naming: short\nvendor: a b\n${BASE}`;
    expect(issuesOf(text).map((i) => [i.line, i.path, i.message])).toEqual([
      [1, 'naming', 'must be default or scs'],
      [2, 'vendor', expect.stringMatching(/may hold only letters, digits/)],
    ]);
  });
});

describe('targets', () => {
  const withTargets = (targets: string) =>
    BASE.replace('series:\n', `targets:\n${targets}series:\n`).replace('- ${FPR}', `- ${FPR}`);
  const vars = { FPR: 'a'.repeat(40) };

  it('without targets: the one target "default", with the accounts as they are', () => {
    expect(parseCatalogue(BASE, 'cat.yaml', { vars }).targets).toEqual([{ name: 'default' }]);
  });

  it('each target: a clouds.yaml entry, a region and the compute regions that use its Glance', () => {
    const text = withTargets(`  region-one:
    cloud: publisher
    usageCloud: auditor
    region: RegionOne
    usageRegions: [RegionOne, RegionTwo]
  region-three:
    region: RegionThree
`);
    expect(parseCatalogue(text, 'cat.yaml', { vars }).targets).toEqual([
      {
        name: 'region-one',
        cloud: 'publisher',
        usageCloud: 'auditor',
        region: 'RegionOne',
        usageRegions: ['RegionOne', 'RegionTwo'],
      },
      { name: 'region-three', region: 'RegionThree' },
    ]);
  });

  it("a target's overlap: false (uploads there only once the download is verified); anything else but a boolean refused", () => {
    const text = withTargets(`  near:
    region: RegionOne
  behind-a-proxy:
    region: RegionTwo
    overlap: false
`);
    expect(parseCatalogue(text, 'cat.yaml', { vars }).targets).toEqual([
      { name: 'near', region: 'RegionOne' },
      { name: 'behind-a-proxy', region: 'RegionTwo', overlap: false },
    ]);
    expectIssue(
      withTargets('  one:\n    overlap: later\n'),
      'overlap',
      'targets.one.overlap',
      /must be true or false/,
    );
  });

  it('refuses two targets on one cloud and region, naming the other', () => {
    const text = withTargets(`  one:
    region: RegionOne
  two:
    region: RegionOne
`);
    const issue = expectIssue(text, '', 'targets.two', /same cloud and region as target "one"/);
    expect(issue.message).toContain('RegionOne');
    expect(issue.line).toBeGreaterThanOrEqual(lineOf(text, '  two:'));
  });

  it('refuses a bad name, an unknown key, a repeated usage region and an empty section', () => {
    expectIssue(
      withTargets('  Region_One:\n    region: R\n'),
      'Region_One',
      'targets.Region_One',
      /target names must match/,
    );
    expectIssue(withTargets('  one:\n    regoin: R\n'), 'regoin', 'targets.one', /regoin/);
    expectIssue(
      withTargets('  one:\n    usageRegions: [R1, R2, R1]\n'),
      'usageRegions',
      'targets.one.usageRegions',
      /names R1 more than once/,
    );
    expectIssue(
      withTargets('  one:\n    usageRegions: []\n'),
      'usageRegions',
      'targets.one.usageRegions',
      /at least one region/,
    );
    expect(issuesOf(BASE.replace('series:\n', 'targets: {}\nseries:\n'), vars)[0]?.message).toMatch(
      /names no target/,
    );
  });
});
