// imagecycle validate's keyring check: for every enabled series that verifies signatures,
// its keyring exists, parses, and holds each pinned fingerprint (primary key or subkey),
// each problem at the keyring or fingerprint in the catalogue. And the keys shipped with
// the package: exactly the published keys keys/SOURCES.md lists, public only, holding the
// default catalogue's pins.
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readKeyring } from '@imagecycle/trust';
import { generateTestKey, type TestKey } from '@imagecycle/trust/testing';
import {
  checkKeyrings,
  DEFAULT_CATALOGUE_PATH,
  loadCatalogue,
  PACKAGED_KEYRING_DIR,
  parseCatalogue,
} from '../src/index.ts';

let upstream: TestKey;
let other: TestKey;
let dir: string;

beforeAll(async () => {
  [upstream, other] = await Promise.all([
    generateTestKey({ name: 'Upstream', email: 'release@upstream.example' }),
    generateTestKey({ name: 'Other', email: 'release@other.example' }),
  ]);
  dir = mkdtempSync(join(tmpdir(), 'keyrings-'));
  writeFileSync(join(dir, 'upstream.asc'), upstream.armoredPublic);
  writeFileSync(join(dir, 'garbage.asc'), 'this is not an OpenPGP key\n');
});

/** The SCS image metadata (scs-0102) every series must publish, given once for all. */
const SCS_DEFAULTS = [
  'defaults:',
  '  properties:',
  ...Object.entries({
    architecture: 'x86_64',
    os_distro: 'rocky',
    os_version: "'9'",
    os_purpose: 'custom',
    hw_disk_bus: 'scsi',
    hw_scsi_model: 'virtio-scsi',
    hypervisor_type: 'qemu',
    hw_rng_model: 'virtio',
    hw_watchdog_action: 'reset',
    replace_frequency: 'weekly',
    uuid_validity: 'none',
    provided_until: 'notice',
    image_original_user: 'rocky',
  }).map(([key, value]) => `    ${key}: ${value}`),
];

/** A catalogue of checksum-list series, each `[id, keyring file, fingerprints, enabled]`. */
function catalogueText(series: [string, string, string[], boolean?][]): string {
  const lines = [...SCS_DEFAULTS, 'series:'];
  for (const [id, keyring, fingerprints, enabled] of series) {
    lines.push(
      `  ${id}:`,
      `    title: ${id}`,
      '    minRam: 1024',
      ...(enabled === false ? ['    enabled: false'] : []),
      '    feed:',
      '      kind: checksum-list',
      `      url: https://mirror.example/${id}/CHECKSUM`,
      '      style: bsd',
      '      algorithm: sha256',
      "      filePattern: 'img-(?<version>\\d+)\\.qcow2'",
      '    signature:',
      '      policy: required',
      `      keyring: ${join(dir, keyring)}`,
      '      fingerprints:',
      ...fingerprints.map((f) => `        - ${f}`),
    );
  }
  return `${lines.join('\n')}\n`;
}

async function problems(text: string) {
  return checkKeyrings(parseCatalogue(text, 'cat.yaml'), text, 'cat.yaml');
}

/** 1-based line and column of `needle` in `text`. */
function at(text: string, needle: string): { line: number; column: number } {
  const rows = text.split('\n');
  const line = rows.findIndex((r) => r.includes(needle));
  if (line === -1) throw new Error(`not in text: ${needle}`);
  return { line: line + 1, column: (rows[line]?.indexOf(needle) ?? 0) + 1 };
}

describe('checkKeyrings', () => {
  it('accepts a keyring holding the pinned primary key, or only its signing subkey', async () => {
    expect(await problems(catalogueText([['a', 'upstream.asc', [upstream.fingerprint]]]))).toEqual(
      [],
    );
    expect(
      await problems(catalogueText([['a', 'upstream.asc', [upstream.subkeyFingerprint]]])),
    ).toEqual([]);
  });

  it('names a pinned fingerprint the keyring does not hold, at its line and column', async () => {
    const text = catalogueText([
      ['a', 'upstream.asc', [upstream.fingerprint, other.fingerprint.toUpperCase()]],
    ]);
    const found = await problems(text);
    expect(found).toEqual([
      {
        file: 'cat.yaml',
        ...at(text, other.fingerprint.toUpperCase()),
        path: 'series.a.signature.fingerprints[1]',
        message: `fingerprint ${other.fingerprint.toUpperCase().replace(/(.{4})(?=.)/g, '$1 ')} is neither a primary key nor a subkey in keyring ${join(dir, 'upstream.asc')} (it holds ${upstream.fingerprint.toUpperCase()} (Upstream <release@upstream.example>)): pin the upstream's key, or put that key in the keyring`,
      },
    ]);
  });

  it('names a keyring that is missing or holds no key, at the keyring', async () => {
    const text = catalogueText([
      ['a', 'missing.asc', [upstream.fingerprint]],
      ['b', 'garbage.asc', [upstream.fingerprint]],
    ]);
    const [missing, garbage, ...rest] = await problems(text);
    expect(rest).toEqual([]);
    expect(missing).toMatchObject({
      ...at(text, join(dir, 'missing.asc')),
      path: 'series.a.signature.keyring',
      message: `keyring ${join(dir, 'missing.asc')} does not exist: put the upstream's armored public keys there, or set KEYRING_DIR to the directory that holds them`,
    });
    expect(garbage).toMatchObject({
      ...at(text, join(dir, 'garbage.asc')),
      path: 'series.b.signature.keyring',
    });
    expect(garbage?.message).toMatch(
      new RegExp(`^keyring ${join(dir, 'garbage.asc')} holds no readable OpenPGP public key: `),
    );
  });

  it('leaves the keyrings of switched-off series alone', async () => {
    const text = catalogueText([['a', 'missing.asc', [other.fingerprint], false]]);
    expect(await problems(text)).toEqual([]);
  });

  it('reports an anchored signature block shared by several series once, naming them', async () => {
    const text = [
      ...SCS_DEFAULTS,
      'series:',
      ...['a', 'b'].flatMap((id) => [
        `  ${id}:`,
        `    title: ${id}`,
        '    minRam: 1024',
        '    feed:',
        '      kind: checksum-list',
        `      url: https://mirror.example/${id}/CHECKSUM`,
        '      style: bsd',
        '      algorithm: sha256',
        "      filePattern: 'img-(?<version>\\d+)\\.qcow2'",
        id === 'a' ? '    signature: &shared' : '    signature: *shared',
        ...(id === 'a'
          ? [
              '      policy: required',
              `      keyring: ${join(dir, 'upstream.asc')}`,
              `      fingerprints: [${other.fingerprint}]`,
            ]
          : []),
      ]),
      '',
    ].join('\n');
    const found = await problems(text);
    expect(found).toHaveLength(1);
    expect(found[0]?.line).toBe(at(text, other.fingerprint).line);
    expect(found[0]?.message).toMatch(/ \[series a, b\]$/);
  });
});

describe('the keys shipped with the package', () => {
  /** file -> primary fingerprints, as keys/SOURCES.md lists them */
  const SHIPPED: Record<string, string[]> = {
    'ubuntu.asc': [
      'D2EB44626FDDC30B513D5BB71A5D6C4C7DB87C81',
      '4A3CE3CD565D7EB5C810E2B97FF3F408476CF100',
    ],
    'flatcar.asc': ['F88CFEDEFF29A5B4D9523864E25D9AED0593B34A'],
    'fedora.asc': [
      '36F612DCF27F7D1A48A835E4DBFCF71C6D9F90A6',
      '4F50A6114CD5C6976A7F1179655A4B02F577861E',
    ],
    'centos.asc': ['99DB70FAE1D7CE227FB6488205B555B38483C65D'],
    'centos7.asc': ['6341AB2753D78A78A7C27BB124C6A8A7F4A80EB5'],
    'almalinux.asc': ['BF18AC2876178908D6E71267D36CB86CB86B3716'],
    'rocky.asc': ['21CB256AE16FC54C6E652949702D426D350D275D'],
  };

  it('holds exactly the listed public keys, each named with both sources in SOURCES.md', async () => {
    const files = readdirSync(PACKAGED_KEYRING_DIR).filter((f) => f.endsWith('.asc'));
    expect(files.sort()).toEqual(Object.keys(SHIPPED).sort());
    const sources = readFileSync(join(PACKAGED_KEYRING_DIR, 'SOURCES.md'), 'utf8');
    for (const [file, expected] of Object.entries(SHIPPED)) {
      const text = readFileSync(join(PACKAGED_KEYRING_DIR, file), 'utf8');
      expect(text, file).not.toMatch(/PRIVATE KEY/);
      const keys = await readKeyring(text, file);
      expect(keys.map((k) => k.getFingerprint().toUpperCase()).sort(), file).toEqual(
        [...expected].sort(),
      );
      for (const fingerprint of expected) {
        const row = sources
          .split('\n')
          .find((l) => l.includes(fingerprint.replace(/(.{4})(?=.)/g, '$1 ')));
        expect(row, `${fingerprint} in SOURCES.md`).toBeDefined();
        // a row names the file, where the key came from and where it was checked, by commit
        expect(row).toContain(`\`${file}\``);
        expect(row?.match(/@ `[0-9a-f]{7}/g)?.length ?? 0, fingerprint).toBeGreaterThanOrEqual(2);
      }
    }
  });

  it('holds every fingerprint the default catalogue pins, with every series switched on but the in-house builds', async () => {
    const text = readFileSync(DEFAULT_CATALOGUE_PATH, 'utf8');
    const catalogue = await loadCatalogue(DEFAULT_CATALOGUE_PATH, {
      vars: { END_OF_LIFE_SERIES_ENABLED: 'true' },
    });
    expect(catalogue.series.filter((s) => s.enabled && s.signature.policy !== 'none').length).toBe(
      12,
    );
    expect(await checkKeyrings(catalogue, text)).toEqual([]);
  });
});
