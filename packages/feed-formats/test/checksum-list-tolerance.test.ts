// Property: a checksum-list parser reads the lines of the files its anchored pattern picks
// and tolerates every other line a real list carries. Whatever is added around them (other
// images of the folder: Vagrant boxes, ext4/LVM variants, `latest` aliases, other
// architectures; other algorithms; comments and size comments; prose; the armour of a
// clearsigned list; CRLF line ends) and in whatever order, the chosen release (version, URL,
// checksum) stays the same.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FILE_PATTERNS, parseChecksumList } from '../src/index.ts';

const hex = (seed: number, n = 64) =>
  Array.from({ length: n }, (_, i) => ((seed * 13 + i * 5 + (i >> 3)) % 16).toString(16)).join('');

interface Case {
  name: keyof typeof FILE_PATTERNS;
  style: 'gnu' | 'bsd';
  dir: string;
  /** The images the pattern picks, oldest first. */
  files: string[];
  newestVersion: string;
  /** Look-alikes of the folder the pattern must not pick, for a build's version. */
  others: (version: string) => string[];
}

const CASES: Case[] = [
  {
    name: 'centos-stream-9',
    style: 'bsd',
    dir: 'https://cloud.centos.test/centos/9-stream/x86_64/images/',
    files: ['20240513.0', '20240527.0', '20240527.1'].map(
      (s) => `CentOS-Stream-GenericCloud-9-${s}.x86_64.qcow2`,
    ),
    newestVersion: '9-20240527.1',
    others: (v) => [
      `CentOS-Stream-GenericCloud-x86_64-${v}.x86_64.qcow2`,
      `CentOS-Stream-GenericCloud-9-latest.x86_64.qcow2`,
      `CentOS-Stream-ec2-${v}.x86_64.qcow2`,
      `CentOS-Stream-Vagrant-${v}.x86_64.vagrant-libvirt.box`,
      `CentOS-Stream-Vagrant-${v}.x86_64.vagrant-virtualbox.box`,
      `CentOS-Stream-Container-Base-${v}.x86_64.tar.xz`,
      `CentOS-Stream-GenericCloud-${v}.aarch64.qcow2`,
    ],
  },
  {
    name: 'almalinux-9',
    style: 'gnu',
    dir: 'https://repo.almalinux.test/almalinux/9/cloud/x86_64/images/',
    files: ['9.5-20241120', '9.6-20250522', '9.6-20250601'].map(
      (s) => `AlmaLinux-9-GenericCloud-${s}.x86_64.qcow2`,
    ),
    newestVersion: '9.6-20250601',
    others: (v) => [
      `AlmaLinux-9-GenericCloud-ext4-${v}.x86_64.qcow2`,
      'AlmaLinux-9-GenericCloud-latest.x86_64.qcow2',
      `AlmaLinux-9-GenericCloud-${v}.aarch64.qcow2`,
      `AlmaLinux-9-OpenNebula-${v}.x86_64.qcow2`,
      `AlmaLinux-9-Vagrant-libvirt-${v}.x86_64.box`,
      `AlmaLinux-9-Azure-${v}.x86_64.raw`,
    ],
  },
  {
    name: 'rocky-9',
    style: 'bsd',
    dir: 'https://dl.rockylinux.test/pub/rocky/9/images/x86_64/',
    files: ['9.5-20241118.0', '9.6-20250531.0', '9.6-20250531.1'].map(
      (s) => `Rocky-9-GenericCloud-Base-${s}.x86_64.qcow2`,
    ),
    newestVersion: '9.6-20250531.1',
    others: (v) => [
      `Rocky-9-GenericCloud-LVM-${v}.x86_64.qcow2`,
      'Rocky-9-GenericCloud-Base.latest.x86_64.qcow2',
      `Rocky-9-EC2-Base-${v}.x86_64.qcow2`,
      `Rocky-9-Vagrant-Libvirt-${v}.x86_64.box`,
      `Rocky-9-Container-Base-${v}.x86_64.tar.xz`,
    ],
  },
  {
    name: 'centos-7',
    style: 'gnu',
    dir: 'https://cloud.centos.test/centos/7/images/',
    files: ['2009', '2111', '2211'].map((s) => `CentOS-7-x86_64-GenericCloud-${s}.qcow2`),
    newestVersion: '2211',
    others: (v) => [
      `CentOS-7-x86_64-GenericCloud-${v}.qcow2c`,
      `CentOS-7-x86_64-GenericCloud-${v}.qcow2.xz`,
      `CentOS-7-x86_64-GenericCloud-${v}.raw.tar.gz`,
      'CentOS-7-x86_64-GenericCloud.qcow2',
      `CentOS-7-aarch64-GenericCloud-${v}.qcow2`,
      `CentOS-7-x86_64-Azure-${v}.vhd`,
    ],
  },
];

const line = (style: 'gnu' | 'bsd', file: string, digest: string) =>
  style === 'bsd' ? `SHA256 (${file}) = ${digest}` : `${digest}  ${file}`;

/** One added line: another image, another algorithm, a comment, prose. */
const extraLine = (c: Case) =>
  fc.oneof(
    // another image of the folder, either style, any digest (even a malformed one)
    fc
      .tuple(
        fc.constantFrom(
          ...c.files.flatMap((f) => c.others(FILE_PATTERNS[c.name].exec(f)?.groups?.version ?? '')),
        ),
        fc.constantFrom<'gnu' | 'bsd'>('gnu', 'bsd'),
        fc.oneof(fc.constant(64), fc.constant(128), fc.integer({ min: 1, max: 130 })),
        fc.nat(),
      )
      .map(([file, style, n, seed]) => line(style, file, hex(seed, n))),
    // the wanted files under other algorithms (BSD lines name theirs)
    fc
      .tuple(
        fc.constantFrom(...c.files),
        fc.constantFrom('MD5', 'SHA1', 'SHA512', 'SHA384'),
        fc.nat(),
      )
      .map(([file, algo, seed]) => `${algo} (${file}) = ${hex(seed, 40)}`),
    // size comments and comments
    fc.tuple(fc.constantFrom(...c.files), fc.nat()).map(([f, n]) => `# ${f}: ${n} bytes`),
    fc.string().map((s) => `# ${s}`),
    // prose: anything that is not itself a checksum line of a wanted file
    fc.string().filter((s) => !c.files.some((f) => s.includes(f))),
    fc.constant(''),
  );

const additions = (c: Case) =>
  fc.record({
    extra: fc.array(extraLine(c), { maxLength: 30 }),
    order: fc.array(fc.nat(), { minLength: 40, maxLength: 40 }),
    clearsigned: fc.boolean(),
    signature: fc.base64String({ minLength: 4, maxLength: 200 }),
    crlf: fc.boolean(),
    sizes: fc.boolean(),
  });

function list(c: Case, a: ReturnType<typeof additions> extends fc.Arbitrary<infer T> ? T : never) {
  const wanted = c.files.flatMap((f, i) => [
    ...(a.sizes ? [`# ${f}: ${1000 + i} bytes`] : []),
    line(c.style, f, hex(i)),
  ]);
  const lines = [
    ...wanted.map((l) => [l, -1] as const),
    ...a.extra.map((l, i) => [l, a.order[i % 40] ?? i] as const),
  ];
  // any order of the lines (a size comment may drift from its line: it is only a comment)
  const shuffled = lines
    .map(([l, k], i) => [l, k < 0 ? (a.order[(i * 7) % 40] ?? i) : k] as const)
    .sort((x, y) => x[1] - y[1])
    .map(([l]) => l);
  let body = shuffled;
  if (a.clearsigned) {
    // dash-escaping: a clearsigned text escapes lines that start with "-"
    const signature = a.signature.match(/.{1,64}/g) ?? [];
    body = [
      '-----BEGIN PGP SIGNED MESSAGE-----',
      'Hash: SHA256',
      '',
      ...shuffled.map((l) => (l.startsWith('-') ? `- ${l}` : l)),
      '-----BEGIN PGP SIGNATURE-----',
      '',
      ...signature,
      '=abcd',
      '-----END PGP SIGNATURE-----',
    ];
  }
  return body.join(a.crlf ? '\r\n' : '\n') + '\n';
}

describe.each(CASES)(
  '$name checksum list: everything beside the wanted lines is tolerated',
  (c) => {
    const newestIndex = c.files.length - 1;
    const expected = {
      version: c.newestVersion,
      url: `${c.dir}${c.files[newestIndex]}`,
      sha256: hex(newestIndex),
    };
    const choose = (text: string) => {
      const [newest] = parseChecksumList(text, {
        listUrl: `${c.dir}CHECKSUM`,
        filePattern: FILE_PATTERNS[c.name],
        algorithm: 'sha256',
      });
      return { version: newest?.version, url: newest?.url, sha256: newest?.checksum.value };
    };

    it('the bare list gives the expected release', () => {
      const bare = c.files.map((f, i) => line(c.style, f, hex(i))).join('\n');
      expect(choose(bare)).toEqual(expected);
    });

    it('added lines, armour, line ends and any order change nothing', () => {
      fc.assert(
        fc.property(additions(c), (a) => {
          expect(choose(list(c, a))).toEqual(expected);
        }),
        { numRuns: 300, seed: 20261101 },
      );
    });
  },
);
