// A damaged real document is refused with the parser's own FeedError, or yields the very
// releases the intact document does: never a wrong answer. (malformed.test.ts holds the other
// half: nothing but FeedError, whatever the input.)
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareVersions } from '@imagecycle/lifecycle';
import { startMirror, type Mirror } from '@imagecycle/test/mirror';
import {
  FeedError,
  FILE_PATTERNS,
  flatcarRelease,
  parseBuildManifest,
  parseChecksumList,
  parseCoreosStream,
  parseDebianManifest,
  parseDirectoryListing,
  parseSimplestreamsIndex,
  parseSimplestreamsProducts,
  type ParsedRelease,
} from '../src/index.ts';

// Damaged real documents: what the local mirror serves in each upstream's format, with
// fields dropped, values of the wrong type, two values swapped, or the text cut short.
// The parser must either refuse the document with its own FeedError or return releases the
// intact document also yields, unchanged: never a release with another URL, checksum,
// version, disk format or signature location than the document states.
//
// What a damaged document may legitimately do:
// - lose a whole version (dropping an entry leaves a smaller but valid feed; a checksum
//   list ignores lines it cannot read), so the result may list fewer releases;
// - lose a field the format makes optional (`optional` below), which the release then lacks:
//   a size, the uncompressed checksum, a Glance property, a signature link (kind 'none').
// Swaps exchange two values of different checkable kinds (digest, URL, date, number).
// Swapping two values of one kind (two digests, min_disk and min_ram), or moving anything
// into a free-form string (a relative path, a name), makes another valid document that no
// parser could tell from a genuine one.

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Container = Json[] | { [key: string]: Json };
interface Slot {
  parent: Container;
  key: string | number;
}
type Optional = 'size' | 'uncompressedChecksum' | 'properties' | 'signatureRef';

interface Sample {
  name: string;
  shape: 'json' | 'lines';
  optional: readonly Optional[];
  /**
   * GNU checksum lists put the file name last: a list cut inside its last name can turn a
   * look-alike (`...-2211.qcow2c`) into a real name, which the format cannot show. Those
   * are cut at line ends only.
   */
  cutAtLineEnds?: boolean;
  load: (mirror: Mirror) => Promise<{ text: string; parse: (text: string) => ParsedRelease[] }>;
}

const fetchText = async (url: string): Promise<string> => {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: ${response.status}`);
  return response.text();
};

function ubuntuSample(
  name: string,
  distro: 'ubuntu-24.04' | 'ubuntu-minimal-22.04',
  productId: string,
  releasesPath: string,
): Sample {
  return {
    name,
    shape: 'json',
    optional: ['size'],
    load: async (mirror) => {
      const indexUrl = mirror.feedUrl(distro);
      const productsUrl = parseSimplestreamsIndex(await fetchText(indexUrl), indexUrl);
      const releasesUrl = mirror.url(releasesPath);
      // The real products file holds every release, architecture and serial (tens of MB):
      // damage is aimed at what the parser reads, so the sample keeps the product read with
      // the mirror's own versions and the five newest of its history, and one other product
      // (3000 damaged copies of the whole file would take an hour). That the rest of the file
      // changes nothing is the property in simplestreams-tolerance.test.ts.
      const full = JSON.parse(await fetchText(productsUrl)) as {
        products: Record<string, { versions: Record<string, unknown> }>;
      };
      const read = full.products[productId] as { versions: Record<string, unknown> };
      const serials = Object.keys(read.versions).sort(compareVersions).slice(-8);
      const other = Object.keys(full.products).find((id) => id !== productId) ?? productId;
      const otherProduct = full.products[other] as { versions: Record<string, unknown> };
      const trimmed = {
        ...full,
        products: {
          [other]: {
            ...otherProduct,
            versions: Object.fromEntries(Object.entries(otherProduct.versions).slice(0, 2)),
          },
          [productId]: {
            ...read,
            versions: Object.fromEntries(serials.map((s) => [s, read.versions[s]])),
          },
        },
      };
      return {
        text: JSON.stringify(trimmed, null, 1),
        parse: (t) => parseSimplestreamsProducts(t, { productsUrl, productId, releasesUrl }),
      };
    },
  };
}

function checksumSample(
  distro: 'centos-7' | 'centos-8' | 'centos-stream-9' | 'almalinux-9' | 'rocky-9',
  style: 'gnu' | 'bsd',
): Sample {
  return {
    name: `${distro} checksum list (${style})`,
    shape: 'lines',
    optional: ['size'],
    cutAtLineEnds: style === 'gnu',
    load: async (mirror) => {
      const listUrl = mirror.feedUrl(distro);
      return {
        text: await fetchText(listUrl),
        parse: (t) =>
          parseChecksumList(t, {
            listUrl,
            filePattern: FILE_PATTERNS[distro],
            algorithm: 'sha256',
          }),
      };
    },
  };
}

function flatcarSample(damaged: 'version.txt' | 'DIGESTS'): Sample {
  return {
    name: `flatcar ${damaged}`,
    shape: 'lines',
    optional: [],
    load: async (mirror) => {
      const versionUrl = mirror.feedUrl('flatcar-stable');
      const options = {
        channelUrl: versionUrl.replace(/current\/version\.txt$/, ''),
        compression: 'bz2' as const,
      };
      const versionTxt = await fetchText(versionUrl);
      const digests = await fetchText(`${mirror.latest('flatcar-stable')?.image.url}.DIGESTS`);
      const releasesJson = await fetchText(
        mirror.url('/www.flatcar.org/releases-json/releases-stable.json'),
      );
      const release = (v: string, d: string) => [
        flatcarRelease({ options, versionTxt: v, versionUrl, digests: d, releasesJson }),
      ];
      return damaged === 'version.txt'
        ? { text: versionTxt, parse: (t) => release(t, digests) }
        : { text: digests, parse: (t) => release(versionTxt, t) };
    },
  };
}

const samples: Sample[] = [
  ubuntuSample(
    'ubuntu server products',
    'ubuntu-24.04',
    'com.ubuntu.cloud:server:24.04:amd64',
    '/cloud-images.ubuntu.com/releases/',
  ),
  ubuntuSample(
    'ubuntu minimal products',
    'ubuntu-minimal-22.04',
    'com.ubuntu.cloud:minimal:22.04:amd64',
    '/cloud-images.ubuntu.com/minimal/releases/',
  ),
  {
    name: 'debian manifest',
    shape: 'json',
    optional: [],
    load: async (mirror) => {
      const listing = mirror.feedUrl('debian-12');
      const [dir] = parseDirectoryListing(await fetchText(listing), listing);
      const version = /(\d{8}-\d+)\/$/.exec(dir ?? '')?.[1] ?? '';
      const manifestUrl = `${dir}debian-12-genericcloud-amd64-${version}.json`;
      const imagesRoot = mirror.url('/cloud.debian.org/images/cloud/');
      return {
        text: await fetchText(manifestUrl),
        parse: (t) => [parseDebianManifest(t, { manifestUrl, imagesRoot })],
      };
    },
  },
  checksumSample('centos-7', 'gnu'),
  checksumSample('centos-8', 'bsd'),
  checksumSample('centos-stream-9', 'bsd'),
  checksumSample('almalinux-9', 'bsd'),
  checksumSample('rocky-9', 'bsd'),
  {
    name: 'fedora coreos stream',
    shape: 'json',
    optional: ['uncompressedChecksum', 'signatureRef'],
    load: async (mirror) => {
      const streamUrl = mirror.feedUrl('fedora-coreos-stable');
      return {
        text: await fetchText(streamUrl),
        parse: (t) => parseCoreosStream(t, { streamUrl }),
      };
    },
  },
  flatcarSample('version.txt'),
  flatcarSample('DIGESTS'),
  {
    name: 'build manifest',
    shape: 'json',
    optional: ['size', 'properties'],
    load: async (mirror) => {
      const manifestUrl = mirror.feedUrl('windows-2019-gui');
      return {
        text: await fetchText(manifestUrl),
        parse: (t) => parseBuildManifest(t, { manifestUrl, product: 'windows-server-2019-gui' }),
      };
    },
  },
];

interface Mutation {
  kind: 'drop' | 'retype' | 'swap' | 'truncate';
  a: number;
  b: number;
  c: number;
}
const mutations = fc.array(
  fc.record({
    kind: fc.constantFrom('drop' as const, 'retype' as const, 'swap' as const, 'truncate' as const),
    a: fc.nat(),
    b: fc.nat(),
    c: fc.nat(),
  }),
  { minLength: 1, maxLength: 3 },
);

function slots(root: Json): Slot[] {
  const found: Slot[] = [];
  const walk = (node: Json): void => {
    if (node === null || typeof node !== 'object') return;
    const keys = Array.isArray(node) ? node.map((_, i) => i) : Object.keys(node);
    for (const key of keys) {
      found.push({ parent: node, key });
      walk((node as Record<string | number, Json>)[key] ?? null);
    }
  };
  walk(root);
  return found;
}

const read = (slot: Slot): Json => (slot.parent as Record<string | number, Json>)[slot.key] ?? null;
const write = (slot: Slot, value: Json): void => {
  (slot.parent as Record<string | number, Json>)[slot.key] = value;
};

/**
 * A value of another type than `value`: another JSON type, carrying the same content where it
 * can, or - for a string of a checkable kind - a string of another kind (a date where a
 * digest belongs, a digest where a URL belongs, a URL where a date belongs).
 */
function otherType(value: Json, pick: number): Json {
  const choose = (options: Json[]): Json => options[pick % options.length] ?? null;
  if (typeof value === 'string') {
    const otherKind = { digest: '2026-11-01', url: 'e3'.repeat(32), date: 'https://else.test/x' };
    const kind = kindOf(value) as keyof typeof otherKind | undefined;
    return choose([
      value.length,
      true,
      null,
      [value],
      { value },
      ...(kind && kind in otherKind ? [otherKind[kind]] : []),
    ]);
  }
  if (typeof value === 'number') return choose([String(value), [value], null, true]);
  if (typeof value === 'boolean') return choose([String(value), Number(value), null]);
  if (value === null) return choose([0, '', false]);
  if (Array.isArray(value)) return choose([{ ...value }, JSON.stringify(value), value.length]);
  return choose([Object.values(value), JSON.stringify(value), 0]);
}

/** What a leaf value is, for swaps: a kind a parser can check, or free-form (undefined). */
function kindOf(value: Json): string | undefined {
  if (typeof value === 'number') return 'number';
  if (typeof value !== 'string') return undefined;
  if (/^(sha\d+:)?[0-9a-f]{32,}$/i.test(value) || /^sha\d+:[A-Za-z0-9+/]+=*$/.test(value))
    return 'digest';
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) return 'url';
  if (/^\d{4}-\d{2}-\d{2}/.test(value)) return 'date';
  return undefined;
}

// Each value (each line, for text) is damaged at most once: damage on damage could put
// things back in another order - three swaps across kinds can add up to swapping two
// digests, two retypes of one line can turn a number into another number.
function mutateJson(text: string, steps: readonly Mutation[]): string {
  const root = JSON.parse(text) as Json;
  const touched = new Map<Container, Set<string | number>>();
  const fresh = (slot: Slot): boolean => !touched.get(slot.parent)?.has(slot.key);
  const touch = (slot: Slot): void => {
    touched.set(slot.parent, (touched.get(slot.parent) ?? new Set()).add(slot.key));
  };
  let changed = false;
  for (const { kind, a, b } of steps) {
    const all = slots(root).filter(fresh);
    if (kind === 'drop' && all.length > 0) {
      const slot = all[a % all.length] as Slot;
      if (Array.isArray(slot.parent)) {
        // the elements after it move up: what was marked by index no longer holds
        slot.parent.splice(slot.key as number, 1);
        touched.delete(slot.parent);
      } else {
        delete slot.parent[slot.key];
        touch(slot);
      }
      changed = true;
    } else if (kind === 'retype' && all.length > 0) {
      const slot = all[a % all.length] as Slot;
      write(slot, otherType(read(slot), b));
      touch(slot);
      changed = true;
    } else if (kind === 'swap') {
      const pairs: [Slot, Slot][] = [];
      const leaves = all.filter(
        (slot) => !Array.isArray(slot.parent) && kindOf(read(slot)) !== undefined,
      );
      for (const [i, x] of leaves.entries())
        for (const y of leaves.slice(i + 1))
          if (x.parent === y.parent && kindOf(read(x)) !== kindOf(read(y))) pairs.push([x, y]);
      const pair = pairs[a % Math.max(pairs.length, 1)];
      if (pair) {
        const [x, y] = pair;
        const value = read(x);
        write(x, read(y));
        write(y, value);
        touch(x);
        touch(y);
        changed = true;
      }
    }
  }
  return changed ? JSON.stringify(root, null, 2) : text;
}

function mutateLines(text: string, steps: readonly Mutation[]): string {
  const lines = text.split('\n').map((line) => ({ line, touched: false }));
  for (const { kind, a, b, c } of steps) {
    const at = a % lines.length;
    const entry = lines[at];
    if (entry === undefined || entry.touched) continue;
    const { line } = entry;
    if (kind === 'drop') lines.splice(at, 1);
    else if (kind === 'retype') {
      // a digest made of non-hex letters, a number made of letters, a word made of digits
      // (only a word with no digit beside it: "384K" must not become the number 3847)
      const runs = [...line.matchAll(/[0-9a-f]{16,}|\d+|(?<!\d)[a-z]+(?!\d)/gi)];
      const run = runs[b % Math.max(runs.length, 1)];
      if (run?.index !== undefined) {
        const [found] = run;
        const replacement = /^[0-9a-f]{16,}$/i.test(found)
          ? 'z'.repeat(found.length)
          : /^\d+$/.test(found)
            ? 'x'.repeat(found.length)
            : '7'.repeat(found.length);
        entry.line = line.slice(0, run.index) + replacement + line.slice(run.index + found.length);
        entry.touched = true;
      }
    } else if (kind === 'swap') {
      if (c % 2 === 0) {
        // two lines change places
        const other = b % lines.length;
        const moved = lines[other] ?? entry;
        lines[other] = entry;
        lines[at] = moved;
      } else {
        // two fields of one line change places
        const parts = line.split(/(\s+)/);
        const tokens = parts.filter((_, i) => i % 2 === 0);
        const gaps = parts.filter((_, i) => i % 2 === 1);
        const i = b % tokens.length;
        const j = c % tokens.length;
        [tokens[i], tokens[j]] = [tokens[j] ?? '', tokens[i] ?? ''];
        entry.line = tokens.map((t, k) => t + (gaps[k] ?? '')).join('');
        entry.touched = true;
      }
    }
  }
  return lines.map((entry) => entry.line).join('\n');
}

function mutate(sample: Sample, text: string, steps: readonly Mutation[]): string {
  let out = sample.shape === 'json' ? mutateJson(text, steps) : mutateLines(text, steps);
  for (const { kind, a } of steps) {
    if (kind !== 'truncate' || out.length === 0) continue;
    if (sample.cutAtLineEnds) {
      const lines = out.split('\n');
      out = lines.slice(0, a % lines.length).join('\n');
    } else out = out.slice(0, a % out.length);
  }
  return out;
}

/** The intact release, less the optional parts the damaged document's release lacks. */
function expectedFrom(
  intact: ParsedRelease,
  got: ParsedRelease,
  optional: readonly Optional[],
): ParsedRelease {
  const expected: ParsedRelease = structuredClone(intact);
  if (optional.includes('size') && got.size === undefined) delete expected.size;
  if (optional.includes('uncompressedChecksum') && got.uncompressedChecksum === undefined)
    delete expected.uncompressedChecksum;
  if (optional.includes('signatureRef') && got.signatureRef.kind === 'none')
    expected.signatureRef = { kind: 'none' };
  if (optional.includes('properties'))
    expected.properties = Object.fromEntries(
      Object.entries(expected.properties).filter(([key]) => key in got.properties),
    );
  return expected;
}

describe('damaged mirror documents: refused, or the same releases', () => {
  let mirror: Mirror;
  const loaded = new Map<string, Awaited<ReturnType<Sample['load']>>>();
  beforeAll(async () => {
    mirror = await startMirror({ seed: '2026-11-01' });
    // several versions where a feed lists several, one of them a respin
    await mirror.publish('ubuntu-24.04', { date: '2026-11-10' });
    await mirror.publish('ubuntu-24.04', { date: '2026-11-10', respin: true });
    await mirror.publish('ubuntu-minimal-22.04', { date: '2026-11-12' });
    await mirror.publish('centos-stream-9', { date: '2026-11-13' });
    await mirror.publish('almalinux-9', { date: '2026-11-14' });
    await mirror.publish('rocky-9', { date: '2026-11-14' });
    await mirror.publish('windows-2019-gui', { date: '2026-11-16' });
    for (const sample of samples) loaded.set(sample.name, await sample.load(mirror));
  });
  afterAll(() => mirror.stop());

  it.each(samples.map((s) => [s.name, s] as const))('%s', (_name, sample) => {
    const document = loaded.get(sample.name);
    if (document === undefined) throw new Error(`${sample.name} was not loaded`);
    const { text, parse } = document;
    const intact = parse(text);
    const byVersion = new Map(intact.map((r) => [r.version, r]));
    let refused = 0;
    let accepted = 0;
    fc.assert(
      fc.property(mutations, (steps) => {
        const damaged = mutate(sample, text, steps);
        let got: ParsedRelease[];
        try {
          got = parse(damaged);
        } catch (error) {
          if (!(error instanceof FeedError)) throw error;
          refused += 1;
          return;
        }
        accepted += 1;
        expect(got.length).toBeGreaterThan(0);
        for (const release of got) {
          const original = byVersion.get(release.version);
          if (original === undefined)
            throw new Error(`version ${release.version} is not in the intact document`);
          expect(release).toEqual(expectedFrom(original, release, sample.optional));
        }
      }),
      { numRuns: 3000 },
    );
    // both outcomes happen: the damage is neither always harmless nor always fatal
    expect(refused).toBeGreaterThan(0);
    expect(accepted).toBeGreaterThan(0);
  });
});
