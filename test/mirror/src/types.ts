// Public types of the local upstream mirror.
import type { Compression, CraftedDisk } from './images.ts';

/** Every feed the mirror can publish, named like the catalogue's series. */
export const DISTROS = [
  'ubuntu-24.04',
  'ubuntu-22.04',
  'ubuntu-20.04',
  'ubuntu-minimal-24.04',
  'ubuntu-minimal-22.04',
  'debian-12',
  'debian-11',
  'debian-10',
  'centos-7',
  'centos-8',
  'centos-stream-9',
  'almalinux-9',
  'almalinux-8',
  'rocky-9',
  'rocky-8',
  'fedora-coreos-stable',
  'flatcar-stable',
  'windows-2019-gui',
  'windows-2019-core',
] as const;
export type Distro = (typeof DISTROS)[number];

/** The test signing keys, one per upstream signer. `forger` is never in the keyring. */
export const KEY_NAMES = [
  'ubuntu-images',
  'ubuntu-streams',
  'centos',
  'almalinux',
  'fedora',
  'flatcar',
  'imagecycle-builds',
] as const;
export type KeyName = (typeof KEY_NAMES)[number];

export interface PublicKeyInfo {
  name: string;
  userId: string;
  /** 40 upper-case hex digits. */
  fingerprint: string;
  /** The signing subkey's fingerprint: signatures carry this one as issuer. */
  subkeyFingerprint: string;
  armoredPublic: string;
}

export type DiskFormat = 'qcow2' | 'raw';

/** One file the mirror published with everything a test needs to check a download of it. */
export interface Artifact {
  name: string;
  /** Mirror path, `/<host>/<path>`. */
  path: string;
  url: string;
  /** Format of the disk after decompression (and unpacking, for `container: 'tar'`). */
  format: DiskFormat;
  container?: 'tar';
  /** A crafted bad image published in place of a sound one (`PublishOptions.disk`). */
  crafted?: CraftedDisk;
  compression: Compression;
  size: number;
  sha256: string;
  sha512: string;
  sha1: string;
  md5: string;
  /** The disk image inside (equal to the file itself when not compressed). */
  uncompressed: { size: number; sha256: string; sha512: string };
  virtualSize: number;
}

export interface SignatureRef {
  /** The signature file. */
  url: string;
  /** What it signs. */
  subjectUrl: string;
  kind: 'armored' | 'binary' | 'clearsigned';
  key: KeyName;
}

export interface PublishedRelease {
  distro: Distro;
  /** The feed's own version id: `20261101.1`, `20261101-1502`, `2211`, `9-20261101.0`, `44.20261018.3.0`, ... */
  version: string;
  /** Build / release day (UTC). */
  date: string;
  /** When the mirror published it (Last-Modified of the dated files). */
  publishedAt: string;
  /** What a feed-watcher reads first (index, checksum list, stream JSON, version.txt, manifest). */
  feedUrl: string;
  /** The artifact the catalogue should pick, at its pinned (dated) URL. */
  image: Artifact;
  /** Everything published for this release, including look-alikes and other formats. */
  artifacts: Artifact[];
  /** The upstream checksum of `image`, as the feed states it. */
  checksum: { algorithm: 'sha256' | 'sha512'; hex: string; url: string };
  /** The signature that covers the checksum, where the upstream signs it. */
  signatures: SignatureRef[];
}

export interface PublishOptions {
  /** Build / release day, `YYYY-MM-DD` or a Date (UTC day). Default: the day after this distro's last release, or the seed day. */
  date?: string | Date;
  /** Publish again on the same day: Ubuntu `YYYYMMDD.N`, Stream/Rocky `.N+1`, CentOS 7 `YYMM_NN`, ... */
  respin?: boolean;
  /** Debian: force the build counter `NNNN`. */
  buildId?: number;
  /** Alma/Rocky: the point release (`9.6`); CentOS 8: the full point (`8.4.2105`). */
  pointRelease?: string;
  /** Ubuntu: the image file name (older releases used other suffixes). Take names from `path`! */
  fileName?: string;
  /**
   * Publish a crafted bad image as the release's image (every format of it the upstream
   * publishes: Debian's qcow2, raw and tar.xz alike), with checksums and signatures as
   * genuine as ever: a backing or data file qcow2, a vmdk descriptor of another file,
   * a sound disk of the other format than the file declares, or garbage.
   */
  disk?: CraftedDisk;
  /**
   * Windows (the in-house builds): a build whose guest never boots. Its manifest entry carries
   * the property `test_guest_boot: fail`, on which the local stack's fake compute driver
   * answers a kernel panic instead of a boot, so a smoke test of it fails. Other upstreams
   * refuse it: they publish no image properties.
   */
  guestBoot?: 'fail';
}
