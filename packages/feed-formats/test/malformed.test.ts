// Bad input of every kind makes a parser throw a FeedError that says where - never
// anything else, never a wrong answer. The property below holds the first half (nothing but
// FeedError, whatever the input); damaged-documents.test.ts holds the second (a damaged
// mirror document is refused, or yields the very releases the intact one does).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareVersions } from '@imagecycle/lifecycle';
import {
  decodeDocument,
  FeedError,
  FILE_PATTERNS,
  flatcarRelease,
  MAX_DOCUMENT_BYTES,
  parseBuildManifest,
  parseChecksumList,
  parseCoreosStream,
  parseDebianManifest,
  parseDirectoryListing,
  parseSimplestreamsIndex,
  parseSimplestreamsProducts,
} from '../src/index.ts';

const sha = (c: string) => c.repeat(64);
const productsUrl = 'https://u.test/releases/streams/v1/products.json';
const products = (versions: Record<string, unknown>) =>
  JSON.stringify({
    format: 'products:1.0',
    products: { 'com.ubuntu.cloud:server:24.04:amd64': { versions } },
  });
const item = (serial: string) => ({
  items: {
    'disk1.img': {
      ftype: 'disk1.img',
      path: `server/releases/noble/release-${serial}/img.img`,
      sha256: sha('a'),
      size: 10,
    },
  },
});
const ubuntu = (text: string) =>
  parseSimplestreamsProducts(text, {
    productsUrl,
    productId: 'com.ubuntu.cloud:server:24.04:amd64',
    releasesUrl: 'https://u.test/releases/',
  });

describe('version order', () => {
  it('sorts serials, respins and dotted versions numerically', () => {
    const sorted = ['20240523', '20240523.1', '20240522.3', '20241101', '9.10', '9.9'].sort(
      (a, b) => compareVersions(b, a),
    );
    expect(sorted).toEqual(['20241101', '20240523.1', '20240523', '20240522.3', '9.10', '9.9']);
  });
});

describe('Ubuntu simplestreams, malformed', () => {
  it('sorts unsorted keys itself and ignores key order in the file', () => {
    const text = products({
      '20240523': item('20240523'),
      '20240601': item('20240601'),
      '20240523.1': item('20240523.1'),
    });
    expect(ubuntu(text).map((r) => r.version)).toEqual(['20240601', '20240523.1', '20240523']);
  });

  it('names the JSON path of a missing or mistyped field', () => {
    const bad = products({
      '20240601': { items: { 'disk1.img': { ftype: 'disk1.img', path: 'x', sha256: 'zz' } } },
    });
    expect(() => ubuntu(bad)).toThrow(
      /versions\.20240601\.items\.disk1\.img\.sha256\): sha256 must be 64 hex digits/,
    );
    expect(() => ubuntu(products({ daily: item('20240601') }))).toThrow(/"daily" is not a serial/);
    expect(() => ubuntu('{"format":"products:1.0","products":[]}')).toThrow(FeedError);
    expect(() =>
      ubuntu(
        '{"format":"products:1.0","products":{"com.ubuntu.cloud:server:24.04:amd64":{"versions":{"20240101":',
      ),
    ).toThrow(/not valid JSON/);
    expect(() => ubuntu(products({}))).toThrow('has no disk1.img item');
    expect(() =>
      parseSimplestreamsIndex(
        '{"format":"index:1.0","index":{}}',
        'https://u.test/streams/v1/index.json',
      ),
    ).toThrow('no image-downloads products entry');
  });
});

describe('documents', () => {
  it('refuses invalid UTF-8, UTF-16 and documents over the cap', () => {
    expect(() => decodeDocument('x', 'u', new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]))).toThrow(
      'not valid UTF-8',
    );
    expect(() => decodeDocument('x', 'u', new Uint8Array([0xff, 0xfe, 0x7b, 0x00]))).toThrow(
      'UTF-16',
    );
    expect(() => decodeDocument('x', 'u', new Uint8Array(MAX_DOCUMENT_BYTES + 1))).toThrow(
      'larger than',
    );
    expect(decodeDocument('x', 'u', new TextEncoder().encode('\uFEFF{"a":1}'))).toBe('{"a":1}');
  });

  it('names the URL and the byte offset of the first invalid UTF-8 byte', () => {
    const at = (prefix: string, bad: number[], suffix = '') =>
      new Uint8Array([
        ...new TextEncoder().encode(prefix),
        ...bad,
        ...new TextEncoder().encode(suffix),
      ]);
    const url = 'https://u.test/CHECKSUM';
    // "é" (2 bytes) and "€" (3 bytes) before the bad byte: the offset counts bytes, not characters
    expect(() => decodeDocument('checksum-list', url, at('é€ab', [0xff], 'cd'))).toThrow(
      'checksum-list feed https://u.test/CHECKSUM (byte 7): document is not valid UTF-8: invalid byte 0xff at byte offset 7',
    );
    expect(() => decodeDocument('x', url, at('abc', [0xc0, 0x80]))).toThrow('at byte offset 3'); // overlong
    expect(() => decodeDocument('x', url, at('ab', [0xed, 0xa0, 0x80]))).toThrow(
      'at byte offset 2',
    ); // surrogate
    expect(() => decodeDocument('x', url, at('abcd', [0xe2, 0x82]))).toThrow('at byte offset 4'); // cut short
    expect(() => decodeDocument('x', url, at('a', [0xe2, 0x28, 0xa1]))).toThrow('at byte offset 1');
    expect(decodeDocument('x', url, at('é€𝄞', []))).toBe('é€𝄞');
    expect(() => decodeDocument('x', url, 'é'.repeat(MAX_DOCUMENT_BYTES / 2 + 1))).toThrow(
      `document of ${MAX_DOCUMENT_BYTES + 2} bytes is larger than the ${MAX_DOCUMENT_BYTES}-byte cap`,
    );
  });
});

describe('checksum lists, malformed', () => {
  const listUrl = 'https://c.test/centos/7/images/sha256sum.txt';
  it('ignores look-alikes and needs at least one match', () => {
    const text = [
      `${sha('1')}  CentOS-7-x86_64-GenericCloud.qcow2`,
      `${sha('2')}  CentOS-7-x86_64-GenericCloud-2211.qcow2c`,
      `${sha('3')}  CentOS-7-x86_64-GenericCloud-2211.qcow2.xz`,
      `${sha('4')}  xCentOS-7-x86_64-GenericCloud-2211.qcow2`,
      `${sha('5')}  CentOS-7-x86_64-GenericCloud-2211.qcow2.bak`,
    ].join('\n');
    expect(() =>
      parseChecksumList(text, {
        listUrl,
        filePattern: FILE_PATTERNS['centos-7'],
        algorithm: 'sha256',
      }),
    ).toThrow(/no file matches/);
  });
  it('names the line of a checksum of the wrong length, and refuses two files for one version', () => {
    const short = `SHA256 (CentOS-7-x86_64-GenericCloud-2211.qcow2) = abc`;
    expect(() =>
      parseChecksumList(short, {
        listUrl,
        filePattern: FILE_PATTERNS['centos-7'],
        algorithm: 'sha256',
      }),
    ).toThrow(
      /\(line 1\): the sha256 of CentOS-7-x86_64-GenericCloud-2211\.qcow2 is not 64 hex digits: "abc"/,
    );
    const twice = `${sha('1')}  CentOS-7-x86_64-GenericCloud-2211.qcow2\n${sha('2')} *CentOS-7-x86_64-GenericCloud-2211.qcow2`;
    expect(() =>
      parseChecksumList(twice, {
        listUrl,
        filePattern: FILE_PATTERNS['centos-7'],
        algorithm: 'sha256',
      }),
    ).toThrow(
      /\(line 2\): CentOS-7-x86_64-GenericCloud-2211\.qcow2 is listed twice with different sha256 digests \(also line 1\)/,
    );
    const twoFiles = `${sha('1')}  img-2211.qcow2\n${sha('2')}  img-2211.img`;
    expect(() =>
      parseChecksumList(twoFiles, {
        listUrl,
        filePattern: /img-(?<version>\d{4})\.(?:qcow2|img)/,
        algorithm: 'sha256',
      }),
    ).toThrow(/\(line 2\): two different files match version 2211/);
    expect(() =>
      parseChecksumList('x', { listUrl, filePattern: /CentOS-(?<v>\d+)/, algorithm: 'sha256' }),
    ).toThrow('no named group "version"');
  });
});

describe('Debian, malformed', () => {
  it('needs dated directories and a well-formed manifest digest', () => {
    expect(() =>
      parseDirectoryListing('<a href="latest/">latest/</a><a href="daily/">', 'https://d.test/'),
    ).toThrow('no dated build directory');
    expect(
      parseDirectoryListing(
        '<a href="20240101-1000/"></a><a href="20240101-999/"></a><a href="20231231-2000/">',
        'https://d.test/x/',
      ),
    ).toEqual([
      'https://d.test/x/20240101-1000/',
      'https://d.test/x/20240101-999/',
      'https://d.test/x/20231231-2000/',
    ]);
    const manifest = (digest: string) =>
      JSON.stringify({
        kind: 'List',
        items: [
          { kind: 'Build', data: { info: { version: '20240101-1000' } } },
          {
            kind: 'Upload',
            metadata: {
              labels: { 'upload.cloud.debian.org/image-format': 'qcow2' },
              annotations: { 'cloud.debian.org/digest': digest },
            },
            data: { ref: 'bookworm/20240101-1000/debian-12.qcow2' },
          },
        ],
      });
    const options = {
      manifestUrl: 'https://d.test/m.json',
      imagesRoot: 'https://d.test/images/cloud/',
    };
    const padded = `sha512:${Buffer.alloc(64, 7).toString('base64')}`; // ends in "=="
    expect(() => parseDebianManifest(manifest(padded), options)).toThrow('not unpadded base64');
    const good = parseDebianManifest(manifest(padded.replace(/=+$/, '')), options);
    expect(good.checksum.value).toBe('07'.repeat(64));
    expect(() => parseDebianManifest(manifest('md5:abc'), options)).toThrow('no sha512 digest');
  });
});

// Any input at all: a FeedError or a result, and nothing else - no TypeError from a field
// that was assumed present, no RangeError, no hang. This property proves only that: it does
// not look at the result (random text has no right answer to compare with); whether the
// result from a damaged document is right is checked in damaged-documents.test.ts.
const parsers: [string, (text: string) => unknown][] = [
  [
    'simplestreams index',
    (t) => parseSimplestreamsIndex(t, 'https://u.test/streams/v1/index.json'),
  ],
  ['simplestreams products', ubuntu],
  ['debian listing', (t) => parseDirectoryListing(t, 'https://d.test/')],
  [
    'debian manifest',
    (t) =>
      parseDebianManifest(t, {
        manifestUrl: 'https://d.test/m.json',
        imagesRoot: 'https://d.test/',
      }),
  ],
  [
    'checksum list',
    (t) =>
      parseChecksumList(t, {
        listUrl: 'https://c.test/CHECKSUM',
        filePattern: FILE_PATTERNS['rocky-9'],
        algorithm: 'sha256',
      }),
  ],
  ['coreos stream', (t) => parseCoreosStream(t, { streamUrl: 'https://f.test/stable.json' })],
  [
    'flatcar',
    (t) =>
      flatcarRelease({
        options: { channelUrl: 'https://f.test/amd64-usr/', compression: 'bz2' },
        versionTxt: t,
        versionUrl: 'v',
        digests: t,
      }),
  ],
  [
    'build manifest',
    (t) => parseBuildManifest(t, { manifestUrl: 'https://b.test/m.json', product: 'p' }),
  ],
];

const validSamples = [
  products({ '20240523': item('20240523') }),
  JSON.stringify({
    format: 'imagecycle-build-manifest/1',
    builds: [
      {
        product: 'p',
        version: '1',
        build_date: '2024-01-01',
        url: 'https://b.test/1.qcow2',
        disk_format: 'qcow2',
        checksum: { algorithm: 'sha256', value: sha('c') },
      },
    ],
  }),
  `# f.qcow2: 10 bytes\nSHA256 (Rocky-9-GenericCloud-Base-9.6-20261101.0.x86_64.qcow2) = ${sha('d')}`,
  'FLATCAR_VERSION=1.2.3\n# SHA512 HASH\n' +
    'e'.repeat(128) +
    '  flatcar_production_openstack_image.img.bz2',
];

/** A valid document with a few characters replaced, cut short, or stretched. */
const mutated = fc
  .tuple(
    fc.constantFrom(...validSamples),
    fc.nat(),
    fc.string({ maxLength: 5 }),
    fc.nat({ max: 3 }),
  )
  .map(([text, at, insert, mode]) => {
    const i = at % (text.length + 1);
    return mode === 0
      ? text.slice(0, i)
      : mode === 1
        ? text.slice(0, i) + insert + text.slice(i + insert.length)
        : mode === 2
          ? text + insert
          : insert + text;
  });

describe.each(parsers)('%s on arbitrary input', (_name, parse) => {
  it('throws nothing but FeedError (crash-freedom only; results are not judged here)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json(), mutated), (text) => {
        try {
          parse(text);
        } catch (error) {
          if (!(error instanceof FeedError)) throw error;
        }
      }),
      { numRuns: 300 },
    );
  });
});
