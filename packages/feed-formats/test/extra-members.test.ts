// Upstreams add to their documents all the time: architectures, artifacts, formats, fields,
// items, sections, keys. A parser reads only its own path, so whatever is added, changed or
// removed anywhere else, the release it picks (version, URL, checksum, everything) stays the
// same. The documents start from what the mirror serves, in each upstream's full real shape.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMirror, type Mirror } from '@imagecycle/test/mirror';
import {
  flatcarRelease,
  parseCoreosStream,
  parseDebianManifest,
  parseDirectoryListing,
  type ParsedRelease,
} from '../src/index.ts';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Path = readonly (string | number)[];

const fetchText = async (url: string): Promise<string> => {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: ${response.status}`);
  return response.text();
};

/** Names an upstream might plausibly use, plus anything at all. */
const key = fc.oneof(
  fc.constantFrom(
    'riscv64',
    'loongarch64',
    'aarch64',
    'x86_64',
    'openstack',
    'metal',
    'pxe',
    'iso',
    'qcow2',
    'qcow2.gz',
    'qcow2.zst',
    'disk',
    'kernel',
    'rootfs',
    'image',
    'location',
    'sha256',
    'sha512',
    'signature',
    'release',
    'formats',
    'images',
    'kind',
    'Upload',
    'labels',
    'annotations',
    'data',
    'ref',
    '__proto__',
    'constructor',
    'toString',
  ),
  fc.string({ maxLength: 12 }),
);

/** A plausible new artifact (a format without a disk, a disk without a digest) or any JSON. */
const value: fc.Arbitrary<Json> = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json>,
  fc.record({
    release: fc.string(),
    formats: fc.dictionary(
      key,
      fc.dictionary(
        key,
        fc.record({ location: fc.webUrl(), sha256: fc.string() }, { requiredKeys: [] }),
      ),
    ),
  }) as fc.Arbitrary<Json>,
);

interface Edit {
  /** which object or array of the document (index into all containers, modulo) */
  at: number;
  op: 'add' | 'replace' | 'remove';
  key: string;
  pick: number;
  value: Json;
}
const edits = fc.array(
  fc.record({
    at: fc.nat(),
    op: fc.constantFrom('add' as const, 'replace' as const, 'remove' as const),
    key,
    pick: fc.nat(),
    value,
  }),
  { minLength: 1, maxLength: 6 },
);

function containers(root: Json): { node: Json[] | { [key: string]: Json }; path: Path }[] {
  const found: { node: Json[] | { [key: string]: Json }; path: Path }[] = [];
  const walk = (node: Json, path: Path): void => {
    if (node === null || typeof node !== 'object') return;
    found.push({ node, path });
    if (Array.isArray(node)) node.forEach((child, i) => walk(child, [...path, i]));
    else for (const [k, child] of Object.entries(node)) walk(child, [...path, k]);
  };
  walk(root, []);
  return found;
}

const startsWith = (path: Path, prefix: Path) =>
  prefix.length <= path.length && prefix.every((step, i) => path[i] === step);

/**
 * Apply the edits to every place off the read paths: an edit may not replace or remove
 * anything on a read path (a member the parser reads, or one of its ancestors), nor write
 * what `guard` refuses (a value that would make a second answer, like a second qcow2 Upload).
 */
function edit(
  text: string,
  steps: readonly Edit[],
  readPaths: readonly Path[],
  guard: (path: Path, value: Json) => boolean = () => true,
): string {
  const root = JSON.parse(text) as Json;
  const onReadPath = (path: Path) => readPaths.some((read) => startsWith(read, path));
  for (const step of steps) {
    const all = containers(root);
    const { node, path } = all[step.at % all.length] ?? { node: [], path: [] };
    if (Array.isArray(node)) {
      // the indices of an array on a read path must not move (Debian's items: see there)
      if (onReadPath(path)) continue;
      if (step.op === 'remove') {
        if (node.length > 0) node.splice(step.pick % node.length, 1);
      } else node.splice(step.pick % (node.length + 1), 0, step.value);
      continue;
    }
    const existing = Object.keys(node);
    const name =
      step.op === 'add' || existing.length === 0
        ? step.key
        : (existing[step.pick % existing.length] as string);
    const target = [...path, name];
    if (onReadPath(target) || !guard(target, step.value)) continue;
    if (step.op === 'remove') delete node[name];
    // defineProperty: a "__proto__" key becomes a member, as JSON.parse makes it
    else
      Object.defineProperty(node, name, {
        value: step.value,
        enumerable: true,
        writable: true,
        configurable: true,
      });
  }
  return JSON.stringify(root, null, 2);
}

function expectSame(
  name: string,
  text: string,
  parse: (t: string) => ParsedRelease,
  mutate: (t: string, steps: readonly Edit[]) => string,
) {
  const intact = parse(text);
  let changed = 0;
  fc.assert(
    fc.property(edits, (steps) => {
      const edited = mutate(text, steps);
      if (edited !== JSON.stringify(JSON.parse(text), null, 2)) changed += 1;
      expect(parse(edited), name).toEqual(intact);
    }),
    { numRuns: 400 },
  );
  // the edits do change the documents (most of the time)
  expect(changed).toBeGreaterThan(300);
}

let mirror: Mirror;
beforeAll(async () => {
  mirror = await startMirror({ seed: '2026-11-01' });
  await mirror.publish('debian-12', { date: '2026-11-12' });
  await mirror.publish('fedora-coreos-stable', { date: '2026-11-15' });
  await mirror.publish('flatcar-stable', { date: '2026-11-15' });
});
afterAll(() => mirror.stop());

describe('the chosen release does not change when the upstream adds or changes anything else', () => {
  it('Fedora CoreOS: other architectures, artifacts, formats, fields and members', async () => {
    const streamUrl = mirror.feedUrl('fedora-coreos-stable');
    const text = await fetchText(streamUrl);
    const disk = ['architectures', 'x86_64', 'artifacts', 'openstack', 'formats', 'qcow2.xz'];
    const read: Path[] = [
      ['metadata', 'last-modified'],
      ['architectures', 'x86_64', 'artifacts', 'openstack', 'release'],
      ...['location', 'sha256', 'uncompressed-sha256', 'signature'].map((k) => [
        ...disk,
        'disk',
        k,
      ]),
    ];
    const parse = (t: string) => {
      const [release] = parseCoreosStream(t, { streamUrl });
      return release as ParsedRelease;
    };
    expect(parse(text).url).toBe(mirror.latest('fedora-coreos-stable')?.image.url);
    expectSame('coreos', text, parse, (t, steps) => edit(t, steps, read));
  });

  it('Debian: other items, kinds, formats, labels, annotations and members', async () => {
    const listing = mirror.feedUrl('debian-12');
    const [dir] = parseDirectoryListing(await fetchText(listing), listing);
    const version = /(\d{8}-\d+)\/$/.exec(dir ?? '')?.[1] ?? '';
    const manifestUrl = `${dir}debian-12-genericcloud-amd64-${version}.json`;
    const imagesRoot = mirror.url('/cloud.debian.org/images/cloud/');
    const text = await fetchText(manifestUrl);
    const items = (JSON.parse(text) as { items: { kind: string; metadata: Json }[] }).items;
    const build = items.findIndex((i) => i.kind === 'Build');
    const qcow2 = items.findIndex(
      (i) =>
        i.kind === 'Upload' &&
        (i.metadata as { labels: Record<string, string> }).labels[
          'upload.cloud.debian.org/image-format'
        ] === 'qcow2',
    );
    expect(build).toBeGreaterThanOrEqual(0);
    expect(qcow2).toBeGreaterThanOrEqual(0);
    const read: Path[] = [
      ['kind'],
      ['items', build, 'kind'],
      ['items', build, 'data', 'info', 'version'],
      ['items', qcow2, 'kind'],
      ['items', qcow2, 'metadata', 'labels', 'upload.cloud.debian.org/image-format'],
      ['items', qcow2, 'metadata', 'annotations', 'cloud.debian.org/digest'],
      ['items', qcow2, 'data', 'ref'],
    ];
    // a second Build, or another item made a qcow2 Upload, is another answer, not an addition
    const ambiguous = (v: Json) => /"(Build|Upload|qcow2)"/.test(JSON.stringify(v));
    const guard = (_path: Path, v: Json) => !ambiguous(v);
    const parse = (t: string) => parseDebianManifest(t, { manifestUrl, imagesRoot });
    expect(parse(text).url).toBe(mirror.latest('debian-12')?.image.url);
    expectSame('debian', text, parse, (t, steps) => {
      // edits first (the read paths hold the intact document's indices), then new items
      // anywhere in the list, before or after the ones read
      const inserts = steps.filter((s) => s.op === 'add' && s.at % 3 === 0);
      const root = JSON.parse(
        edit(
          t,
          steps.filter((s) => !inserts.includes(s)),
          read,
          guard,
        ),
      ) as { items: Json[] };
      for (const s of inserts)
        if (!ambiguous(s.value)) root.items.splice(s.pick % (root.items.length + 1), 0, s.value);
      return JSON.stringify(root, null, 2);
    });
  });

  it('Flatcar: other version.txt keys, other DIGESTS sections and files, other releases', async () => {
    const versionUrl = mirror.feedUrl('flatcar-stable');
    const latest = mirror.latest('flatcar-stable');
    const options = {
      channelUrl: versionUrl.replace(/current\/version\.txt$/, ''),
      compression: 'bz2' as const,
    };
    const versionTxt = await fetchText(versionUrl);
    const digests = await fetchText(`${latest?.image.url}.DIGESTS`);
    const releasesJson = await fetchText(
      mirror.url('/www.flatcar.org/releases-json/releases-stable.json'),
    );
    const parse = (v: string, d: string, r: string) =>
      flatcarRelease({ options, versionTxt: v, versionUrl, digests: d, releasesJson: r });
    const intact = parse(versionTxt, digests, releasesJson);
    expect(intact.url).toBe(latest?.image.url);

    const line = fc.oneof(
      fc
        .tuple(fc.stringMatching(/^[A-Z][A-Z0-9_]{0,20}$/), fc.string({ maxLength: 20 }))
        .filter(([k]) => k !== 'FLATCAR_VERSION' && k !== 'FLATCAR_VERSION_ID')
        .map(([k, v]) => `${k}=${v.replace(/[\r\n]/g, '')}`),
      fc.string({ maxLength: 30 }).map((s) => `# ${s.replace(/[\r\n]/g, '')}`),
      fc.constant(''),
      // lines of any other shape (`export X=1`, prose): never read
      fc
        .string({ maxLength: 30 })
        .map((l) => l.replace(/[\r\n]/g, ''))
        .filter((l) => !/^FLATCAR_VERSION(_ID)?=/.test(l.trim())),
    );
    const digestSection = fc.record({
      algorithm: fc.constantFrom('BLAKE2B', 'SHA256', 'SHA384', 'SHA3_512', 'MD5', 'SHA1'),
      lines: fc.array(
        fc.tuple(
          fc.stringMatching(/^[0-9a-f]{32,128}$/),
          fc.constantFrom(
            'flatcar_production_openstack_image.img.bz2',
            'flatcar_production_openstack_image.img.gz',
            'flatcar_production_image.bin.bz2',
            'flatcar_production_qemu_image.img',
          ),
        ),
        { maxLength: 4 },
      ),
    });
    const otherFileInSha512 = fc.tuple(
      fc.stringMatching(/^[0-9a-f]{128}$/),
      fc.constantFrom('flatcar_production_image.bin.bz2', 'flatcar_production_openstack_image.img'),
    );
    const release = fc.record({
      channel: fc.string(),
      release_date: fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
      architectures: fc.array(fc.string()),
    });
    let changed = 0;
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(), line), { maxLength: 8 }),
        fc.array(digestSection, { maxLength: 3 }),
        fc.array(otherFileInSha512, { maxLength: 2 }),
        fc.dictionary(
          fc.stringMatching(/^\d{4}\.\d\.\d$/).filter((v) => v !== intact.version),
          release,
          { maxKeys: 4 },
        ),
        (extraLines, sections, sha512Lines, releases) => {
          const lines = versionTxt.trimEnd().split('\n');
          for (const [at, l] of extraLines) lines.splice(at % (lines.length + 1), 0, l);
          const v = lines.join('\n') + '\n';
          const d =
            digests.replace(
              /^# SHA512 HASH\n/m,
              (h) => h + sha512Lines.map(([hex, f]) => `${hex}  ${f}\n`).join(''),
            ) +
            sections
              .map(
                (s) => `# ${s.algorithm} HASH\n` + s.lines.map(([h, f]) => `${h}  ${f}\n`).join(''),
              )
              .join('');
          const r = JSON.stringify({ ...releases, ...JSON.parse(releasesJson) });
          if (v !== versionTxt || d !== digests || r !== releasesJson) changed += 1;
          expect(parse(v, d, r)).toEqual(intact);
        },
      ),
      { numRuns: 400 },
    );
    expect(changed).toBeGreaterThan(300);
  });
});

describe('a malformed member on the read path is an error that names it', () => {
  it('Fedora CoreOS', async () => {
    const streamUrl = mirror.feedUrl('fedora-coreos-stable');
    const text = await fetchText(streamUrl);
    type Stream = {
      metadata: Record<string, Json>;
      architectures: Record<string, { artifacts: Record<string, Json> }>;
    };
    const broken = (change: (s: Stream) => void) => {
      const stream = JSON.parse(text) as Stream;
      change(stream);
      return () => parseCoreosStream(JSON.stringify(stream), { streamUrl });
    };
    const disk = (s: Stream) =>
      (s.architectures.x86_64?.artifacts.openstack as { formats: Record<string, Json> }).formats[
        'qcow2.xz'
      ] as { disk: Record<string, Json> };
    const at = 'architectures.x86_64.artifacts.openstack.formats["qcow2.xz"].disk';
    expect(broken((s) => (disk(s).disk.sha256 = 'zz'))).toThrow(
      `(${at}.sha256): the string "zz" is not 64 hex digits`,
    );
    expect(broken((s) => (disk(s).disk['uncompressed-sha256'] = 7))).toThrow(
      `(${at}["uncompressed-sha256"]): expected a string, found the number 7`,
    );
    expect(broken((s) => delete disk(s).disk.location)).toThrow(`(${at}.location): missing`);
    expect(broken((s) => (disk(s).disk.signature = 'not a url'))).toThrow(
      `(${at}.signature): the string "not a url" is not a URL`,
    );
    expect(broken((s) => ((disk(s) as { disk: Json }).disk = []))).toThrow(
      `(${at}): expected an object, found an array`,
    );
    expect(broken((s) => (s.metadata['last-modified'] = 'soon'))).toThrow(
      '(metadata["last-modified"]): "soon" is not a date',
    );
    expect(broken((s) => delete s.architectures.x86_64?.artifacts.openstack)).toThrow(
      '(architectures.x86_64.artifacts): no openstack artifact for x86_64',
    );
    expect(() => parseCoreosStream(text, { streamUrl, arch: 'riscv64' })).toThrow(
      '(architectures): no riscv64 architecture in the stream',
    );
    // another architecture is read only when it is the one asked for
    expect(parseCoreosStream(text, { streamUrl, arch: 'aarch64' })[0]?.url).toContain(
      '-openstack.aarch64.qcow2.xz',
    );
  });

  it('Debian', async () => {
    const listing = mirror.feedUrl('debian-12');
    const [dir] = parseDirectoryListing(await fetchText(listing), listing);
    const version = /(\d{8}-\d+)\/$/.exec(dir ?? '')?.[1] ?? '';
    const manifestUrl = `${dir}debian-12-genericcloud-amd64-${version}.json`;
    const imagesRoot = mirror.url('/cloud.debian.org/images/cloud/');
    const text = await fetchText(manifestUrl);
    type Item = {
      kind: string;
      metadata: Record<string, Record<string, Json>>;
      data: Record<string, Json>;
    };
    const items = (JSON.parse(text) as { items: Item[] }).items;
    const qcow2 = items.findIndex(
      (i) => i.metadata.labels?.['upload.cloud.debian.org/image-format'] === 'qcow2',
    );
    const build = items.findIndex((i) => i.kind === 'Build');
    const broken = (change: (items: Item[]) => void) => {
      const root = JSON.parse(text) as { items: Item[] };
      change(root.items);
      return () => parseDebianManifest(JSON.stringify(root), { manifestUrl, imagesRoot });
    };
    expect(broken((i) => ((i[qcow2] as Item).data.ref = 42))).toThrow(
      `(items[${qcow2}].data.ref): expected a string, found the number 42`,
    );
    expect(
      broken(
        (i) => ((i[qcow2] as Item).metadata.annotations = { 'cloud.debian.org/digest': 'md5:x' }),
      ),
    ).toThrow(
      `(items[${qcow2}].metadata.annotations["cloud.debian.org/digest"]): "md5:x" is no sha512 digest`,
    );
    expect(broken((i) => ((i[build] as Item).data.info = { version: 'latest' }))).toThrow(
      `(items[${build}].data.info.version): the string "latest" is not a build version YYYYMMDD-NNNN`,
    );
    expect(broken((i) => i.splice(qcow2, 1))).toThrow('(items): no Upload item of format qcow2');
  });

  it('Flatcar', () => {
    const options = { channelUrl: 'https://f.test/amd64-usr/', compression: 'bz2' as const };
    const file = 'flatcar_production_openstack_image.img.bz2';
    const digests = `# SHA512 HASH\n${'a'.repeat(128)}  ${file}\n`;
    const release = (versionTxt: string, d = digests, releasesJson?: string) =>
      flatcarRelease({
        options,
        versionTxt,
        versionUrl: 'https://f.test/amd64-usr/current/version.txt',
        digests: d,
        ...(releasesJson ? { releasesJson } : {}),
      });
    expect(() => release('FLATCAR_VERSION_ID=4081.2\n')).toThrow(
      '(FLATCAR_VERSION_ID): "4081.2" is not a version N.N.N',
    );
    // a development build's FLATCAR_VERSION carries a suffix; the _ID is the directory
    expect(release('FLATCAR_VERSION=4081.2.0+nightly-1\nFLATCAR_VERSION_ID=4081.2.0\n').url).toBe(
      `https://f.test/amd64-usr/4081.2.0/${file}`,
    );
    expect(() =>
      release('FLATCAR_VERSION_ID=4081.2.0', `${digests}${'b'.repeat(128)}  ${file}\n`),
    ).toThrow('(line 3): two different SHA512 digests');
    expect(() =>
      release('FLATCAR_VERSION_ID=4081.2.0', digests, '{"4081.2.0":{"release_date":"soon"}}'),
    ).toThrow('(["4081.2.0"].release_date): "soon" is not a date');
  });
});
