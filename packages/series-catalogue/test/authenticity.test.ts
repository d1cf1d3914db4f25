// What each series of the packaged catalogue has authenticated, and which URLs a series may
// be read from.
import { describe, expect, it } from 'vitest';
import {
  authenticity,
  DEFAULT_CATALOGUE_PATH,
  loadCatalogue,
  parseCatalogue,
  urlRefusal,
} from '../src/index.ts';

const FPR = '0123 4567 89AB CDEF 0123 4567 89AB CDEF 0123 4567';
const vars = {
  ...Object.fromEntries(
    ['CENTOS7', 'CENTOS', 'FEDORA', 'ALMALINUX', 'ROCKY', 'WINDOWS_BUILD'].map((n) => [
      `${n}_KEY_FPR`,
      FPR,
    ]),
  ),
  SMOKE_TEST_PROJECT: 'imagecycle',
  SMOKE_TEST_FLAVOR: 'm1.large',
};

describe('authenticity', () => {
  it('says per series what a signature covers: bytes, and version and URL', async () => {
    const catalogue = await loadCatalogue(DEFAULT_CATALOGUE_PATH, { vars });
    const of = (id: string) => {
      const series = catalogue.series.find((s) => s.id === id);
      if (!series) throw new Error(id);
      return authenticity(series);
    };
    expect(of('ubuntu-24.04')).toMatchObject({ bytes: 'signed', version: 'signed' });
    expect(of('ubuntu-24.04').summary).toMatch(/clearsigned streams \(\.sjson\)/);
    expect(of('almalinux-9')).toMatchObject({ bytes: 'signed', version: 'signed' });
    expect(of('centos-7').summary).toMatch(/file names carry the version/);
    expect(of('fedora-coreos-stable')).toMatchObject({ bytes: 'signed', version: 'signed' });
    // Flatcar signs the digests of a file whose name carries no version
    expect(of('flatcar-stable')).toMatchObject({ bytes: 'signed', version: 'unsigned' });
    expect(of('flatcar-stable').summary).toMatch(/unsigned version\.txt/);
    // Debian signs nothing at all
    for (const id of ['debian-12', 'debian-11', 'debian-10']) {
      expect(of(id)).toMatchObject({ bytes: 'checksum only', version: 'unsigned' });
      expect(of(id).summary).toMatch(/^nothing: Debian signs no cloud image/);
    }
    // optional: only when the upstream publishes the signature
    expect(of('rocky-9').summary).toMatch(/\(when published: policy optional\)$/);
    expect(of('windows-2019-gui').summary).toMatch(/detached signature over the manifest/);
  });
});

/** The SCS image metadata (scs-0102) a series must publish to be accepted at all. */
const SCS_PROPERTIES = {
  architecture: 'x86_64',
  os_distro: 'fedora-coreos',
  os_version: 'stable',
  os_purpose: 'generic',
  hw_disk_bus: 'scsi',
  hw_scsi_model: 'virtio-scsi',
  hypervisor_type: 'qemu',
  hw_rng_model: 'virtio',
  hw_watchdog_action: 'reset',
  replace_frequency: 'weekly',
  uuid_validity: 'none',
  provided_until: 'notice',
  image_original_user: 'core',
};

describe('urlRefusal', () => {
  const catalogue = (feedExtra: string) =>
    parseCatalogue(
      `series:
  os:
    title: OS
    feed:
      kind: fedora-coreos
      streamUrl: http://127.0.0.1:8780/streams/stable.json
      arch: x86_64${feedExtra}
    signature:
      policy: none
    properties: ${JSON.stringify(SCS_PROPERTIES)}
    minRam: 2048
`,
      'cat.yaml',
    ).series[0];

  it('lets https through, and plain http only on the mirror the opted-in feed names', () => {
    const series = catalogue('\n      insecureHttp: { reason: test mirror }');
    if (!series) throw new Error('no series');
    expect(urlRefusal(series, 'https://elsewhere.example/a.qcow2.xz')).toBeUndefined();
    expect(urlRefusal(series, 'http://127.0.0.1:8780/builds/a.qcow2.xz')).toBeUndefined();
    expect(urlRefusal(series, 'http://127.0.0.1:8781/builds/a.qcow2.xz')).toBe(
      'http://127.0.0.1:8781/builds/a.qcow2.xz is plain http on http://127.0.0.1:8781, which is not the mirror the catalogue names for this feed (insecureHttp allows only http://127.0.0.1:8780)',
    );
    expect(urlRefusal(series, 'ftp://127.0.0.1:8780/a')).toBe(
      'ftp://127.0.0.1:8780/a: only https URLs are fetched',
    );
  });

  it('refuses plain http altogether without the opt-in', () => {
    const series = {
      ...catalogue('\n      insecureHttp: { reason: test mirror }'),
    } as NonNullable<ReturnType<typeof catalogue>>;
    const { insecureHttp: _optIn, ...feed } = series.feed;
    expect(urlRefusal({ ...series, feed }, 'http://127.0.0.1:8780/a.qcow2.xz')).toBe(
      'http://127.0.0.1:8780/a.qcow2.xz is plain http: feed URLs must be https (the feed has no insecureHttp opt-in)',
    );
  });
});
