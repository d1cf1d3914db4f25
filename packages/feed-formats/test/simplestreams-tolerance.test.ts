// Property: a simplestreams parser reads one path (the index entry listing the product, that
// product's versions, each version's disk1.img item) and tolerates everything else a real
// stream carries. Whatever products, items, fields, index entries and version orders are
// added around that path, the chosen release (version, URL, checksum) stays the same.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseSimplestreamsIndex, parseSimplestreamsProducts } from '../src/index.ts';

const PRODUCT = 'com.ubuntu.cloud:server:24.04:amd64';
const indexUrl = 'https://u.test/releases/streams/v1/index.json';
const releasesUrl = 'https://u.test/releases/';
const hex = (seed: number, n = 64) =>
  Array.from({ length: n }, (_, i) => ((seed * 31 + i * 7) % 16).toString(16)).join('');

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
const diskItem = (serial: string, seed: number) => ({
  ftype: 'disk1.img',
  md5: hex(seed, 32),
  path: `server/releases/noble/release-${serial}/ubuntu-24.04-server-cloudimg-amd64.img`,
  sha256: hex(seed),
  size: 600_000_000 + seed,
});
/** The versions of the product read, in order; the newest is 20241101.1. */
const SERIALS = ['20240425', '20240523', '20240523.1', '20241101', '20241101.1'];
const NEWEST = {
  version: '20241101.1',
  url: `${releasesUrl}server/releases/noble/release-20241101.1/ubuntu-24.04-server-cloudimg-amd64.img`,
  sha256: hex(4),
};

const key = fc.string({ minLength: 1, maxLength: 12 });
const anyJson = fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json>;
/** An item of another kind (or a look-alike disk under another key). */
const otherItem = fc.record(
  {
    ftype: fc.constantFrom(
      'lxd.tar.xz',
      'root.tar.xz',
      'squashfs',
      'squashfs.manifest',
      'manifest',
      'vmdk',
      'ova',
      'tar.gz',
      'uefi1.img',
      'disk-kvm.img',
      'disk1.img', // a second disk1.img item under another key: the keyed one wins
    ),
    path: fc.string(),
    sha256: fc.oneof(fc.string(), fc.constant(hex(99))),
    md5: fc.string(),
    size: fc.oneof(fc.integer(), fc.string()),
    'combined_disk1-img_sha256': fc.string(),
    extra: anyJson,
  },
  { requiredKeys: ['ftype'] },
);
const extraFields = fc.dictionary(
  key.filter((k) => !['ftype', 'path', 'sha256', 'size', 'versions', 'items'].includes(k)),
  anyJson,
  { maxKeys: 3 },
);

const additions = fc.record({
  topFields: fc.dictionary(
    key.filter((k) => k !== 'products' && k !== 'format'),
    anyJson,
    { maxKeys: 3 },
  ),
  products: fc.dictionary(
    key.map((k) => `com.ubuntu.cloud:${k}`).filter((k) => k !== PRODUCT),
    anyJson,
    { maxKeys: 4 },
  ),
  productFields: extraFields,
  versionFields: extraFields,
  itemFields: extraFields,
  items: fc.array(
    fc.tuple(
      key.filter((k) => k !== 'disk1.img'),
      otherItem,
    ),
    { maxLength: 5 },
  ),
  /** Older versions without a disk (a tarball-only build). */
  diskless: fc.array(
    fc.tuple(
      fc.date({ min: new Date('2012-01-01'), max: new Date('2024-04-01'), noInvalidDate: true }),
      fc.array(
        fc.tuple(
          key.filter((k) => k !== 'disk1.img'),
          otherItem.filter((item) => item.ftype !== 'disk1.img'),
        ),
        { maxLength: 2 },
      ),
    ),
    { maxLength: 3 },
  ),
  order: fc.array(fc.nat(), { minLength: 8, maxLength: 8 }),
  indexEntries: fc.dictionary(
    key.map((k) => `com.ubuntu.cloud:released:${k}`),
    fc.record({
      datatype: fc.constantFrom('image-ids', 'image-downloads-other', 'x'),
      format: fc.constantFrom('products:1.0', 'index:1.0'),
      path: fc.string(),
      products: fc.array(fc.string()),
    }),
    { maxKeys: 3 },
  ),
});

type Additions = typeof additions extends fc.Arbitrary<infer T> ? T : never;

function documents(a: Additions): { index: string; products: string } {
  const versions: Array<[string, Json]> = SERIALS.map((serial, i) => {
    const items: Record<string, Json> = {};
    const extras = a.items.filter((_, j) => j % SERIALS.length === i);
    for (const [k, item] of extras) items[k] = item;
    items['disk1.img'] = { ...diskItem(serial, i), ...a.itemFields };
    return [serial, { items, label: 'release', pubname: `p-${serial}`, ...a.versionFields }];
  });
  for (const [date, items] of a.diskless) {
    const serial = date.toISOString().slice(0, 10).replaceAll('-', '');
    if (SERIALS.includes(serial)) continue;
    versions.push([serial, { items: Object.fromEntries(items) as Json, label: 'release' }]);
  }
  // any order of the version keys (sorted numerically by JS only if all are integer-like,
  // which a respin key prevents)
  const ordered = versions
    .map((v, i) => [v, a.order[i % a.order.length] ?? i] as const)
    .sort((x, y) => x[1] - y[1])
    .map(([v]) => v);
  const products: Record<string, Json> = {
    ...a.products,
    [PRODUCT]: {
      arch: 'amd64',
      release: 'noble',
      ...a.productFields,
      versions: Object.fromEntries(ordered),
    },
  };
  const index = {
    format: 'index:1.0',
    index: {
      ...a.indexEntries,
      'com.ubuntu.cloud:released:download': {
        datatype: 'image-downloads',
        format: 'products:1.0',
        path: 'streams/v1/com.ubuntu.cloud:released:download.json',
        products: Object.keys(products),
      },
    },
  };
  return {
    index: JSON.stringify(index),
    products: JSON.stringify({
      ...a.topFields,
      format: 'products:1.0',
      datatype: 'image-downloads',
      products,
    }),
  };
}

function choose(docs: { index: string; products: string }) {
  const productsUrl = parseSimplestreamsIndex(docs.index, indexUrl, PRODUCT);
  expect(productsUrl).toBe(
    'https://u.test/releases/streams/v1/com.ubuntu.cloud:released:download.json',
  );
  const [newest] = parseSimplestreamsProducts(docs.products, {
    productsUrl,
    productId: PRODUCT,
    releasesUrl,
  });
  return { version: newest?.version, url: newest?.url, sha256: newest?.checksum.value };
}

describe('simplestreams: everything beside the path read is tolerated', () => {
  it('the bare documents give the expected release', () => {
    const bare = documents({
      topFields: {},
      products: {},
      productFields: {},
      versionFields: {},
      itemFields: {},
      items: [],
      diskless: [],
      order: [0, 0, 0, 0, 0, 0, 0, 0],
      indexEntries: {},
    });
    expect(choose(bare)).toEqual(NEWEST);
  });

  it('added products, items, fields, index entries and version orders change nothing', () => {
    fc.assert(
      fc.property(additions, (a) => {
        expect(choose(documents(a))).toEqual(NEWEST);
      }),
      { numRuns: 400, seed: 20261101 },
    );
  });
});
