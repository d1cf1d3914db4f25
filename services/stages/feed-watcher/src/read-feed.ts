// One reader per feed kind: fetch the documents the feed consists of, authenticate the one
// that carries checksums - and, where the upstream signs one, the one that carries the
// version and URL (per the series' signature policy) - and parse only what was
// authenticated. A version read from an unsigned document must be the one the signed file's
// name carries. Every URL is https, or plain http on the mirror the feed's opt-in names.
// The result is the series' newest release, ready for the download queue.
import { type Release } from '@imagecycle/contracts';
import {
  crossCheckSha512Sums,
  decodeDocument,
  FeedError,
  flatcarImageUrl,
  flatcarRelease,
  flatcarVersion,
  parseBuildManifest,
  parseChecksumEntries,
  parseChecksumList,
  parseCoreosStream,
  parseDebianManifest,
  parseDirectoryListing,
  parseSimplestreamsIndex,
  parseSimplestreamsProducts,
  type ParsedRelease,
} from '@imagecycle/feed-formats';
import { type Series, urlRefusal } from '@imagecycle/series-catalogue';
import {
  authenticate,
  type AuthenticateContext,
  type Authenticated,
  markSigned,
  refuseDowngrade,
} from './authenticate.ts';
import { ReleaseRejected } from './rejection.ts';

type Signature = Release['signature'];

function toRelease(series: Series, parsed: ParsedRelease, signature: Signature): Release {
  const { signatureRef: _ref, ...rest } = parsed;
  return { ...rest, series: series.id, signature };
}

async function text(ctx: AuthenticateContext, url: string): Promise<string> {
  const document = await ctx.fetcher.fetch(ctx.series.id, url, ctx.signal);
  return decodeDocument(ctx.series.feed.kind, url, document.bytes);
}

/** The newest release of a series, its checksum authenticated as the series' policy demands. */
export async function readNewestRelease(ctx: AuthenticateContext): Promise<Release | undefined> {
  try {
    const release = await readByKind(transportGuarded(ctx));
    if (release) {
      requireTransport(ctx.series, release.url, release.version);
      if (release.signature.status === 'verify-on-download')
        requireTransport(ctx.series, release.signature.signatureUrl, release.version);
    }
    return release;
  } catch (error) {
    if (error instanceof FeedError)
      throw new ReleaseRejected(ctx.series.id, 'feed-invalid', error.message);
    throw error;
  }
}

async function readByKind(ctx: AuthenticateContext): Promise<Release | undefined> {
  const { series } = ctx;
  const feed = series.feed;
  switch (feed.kind) {
    case 'ubuntu-simplestreams': {
      // The clearsigned twins (.sjson) carry the versions, paths and checksums under the
      // streams key: read those, not the unsigned .json, whenever the series is signed.
      const productsUrl = parseSimplestreamsIndex(
        await streamsDocument(ctx, feed.indexUrl),
        feed.indexUrl,
        feed.productId,
      );
      const [newest] = parseSimplestreamsProducts(await streamsDocument(ctx, productsUrl), {
        productsUrl,
        productId: feed.productId,
        releasesUrl: feed.releasesUrl,
      });
      if (!newest || newest.signatureRef.kind !== 'detached') return undefined;
      // The products file is not what Ubuntu signs: SHA256SUMS in the dated directory is.
      const sums = await authenticate(ctx, newest.signatureRef, newest.version);
      requireListed(series, newest, sums, 'sha256');
      return toRelease(series, newest, sums.signature);
    }
    case 'debian': {
      // Debian signs nothing; the catalogue refuses any other policy for it. A catalogue
      // built some other way still never gets a signature policy silently ignored.
      if (series.signature.policy !== 'none')
        throw new ReleaseRejected(
          series.id,
          'signature-missing',
          `Debian publishes no signature: policy "${series.signature.policy}" cannot be satisfied`,
        );
      const listingUrl = feed.imagesUrl;
      const [dir] = parseDirectoryListing(await text(ctx, listingUrl), listingUrl);
      if (!dir) return undefined;
      const version = /(\d{8}-\d+)\/$/.exec(dir)?.[1] ?? '';
      const arch = feed.arch === 'x86_64' ? 'amd64' : feed.arch === 'aarch64' ? 'arm64' : feed.arch;
      const manifestUrl = `${dir}debian-${feed.major}-genericcloud-${arch}-${version}.json`;
      const imagesRoot = new URL(
        '..',
        listingUrl.endsWith('/') ? listingUrl : `${listingUrl}/`,
      ).toString();
      const release = parseDebianManifest(await text(ctx, manifestUrl), {
        manifestUrl,
        imagesRoot,
      });
      const sumsUrl = `${dir}SHA512SUMS`;
      crossCheckSha512Sums(release, await text(ctx, sumsUrl), sumsUrl);
      return toRelease(series, release, { status: 'not-required' });
    }
    case 'checksum-list': {
      // Upstreams that sign a checksum list clearsign it beside itself (`<list>.asc`).
      const list = await authenticate(ctx, {
        kind: 'clearsigned',
        url: `${feed.url}.asc`,
        plainUrl: feed.url,
      });
      const [newest] = parseChecksumList(list.text, {
        listUrl: feed.url,
        filePattern: feed.fileRegExp,
        algorithm: feed.algorithm,
        ...(feed.compression ? { compression: feed.compression } : {}),
      });
      return newest && toRelease(series, newest, list.signature);
    }
    case 'fedora-coreos': {
      const [newest] = parseCoreosStream(await text(ctx, feed.streamUrl), {
        streamUrl: feed.streamUrl,
        arch: feed.arch,
      });
      if (!newest) return undefined;
      // Fedora signs the image file itself: the downloader verifies it over the bytes. The
      // stream that names the version is unsigned; the signed file's name carries the
      // version, and the two must agree.
      if (series.signature.policy !== 'none') {
        if (newest.signatureRef.kind !== 'detached') {
          if (series.signature.policy === 'required') {
            throw new ReleaseRejected(
              series.id,
              'signature-missing',
              'the stream names no signature for the image',
              newest.version,
            );
          }
          await refuseDowngrade(ctx, 'the stream names no signature for the image', newest.version);
          return toRelease(series, newest, { status: 'not-required' });
        }
        requireVersionInName(series, newest.version, newest.url);
        await markSigned(ctx);
        return toRelease(series, newest, {
          status: 'verify-on-download',
          signatureUrl: newest.signatureRef.signatureUrl,
        });
      }
      return toRelease(series, newest, { status: 'not-required' });
    }
    case 'flatcar': {
      const channelUrl = feed.baseUrl.endsWith('/') ? feed.baseUrl : `${feed.baseUrl}/`;
      const versionUrl = `${channelUrl}current/version.txt`;
      const versionTxt = await text(ctx, versionUrl);
      // the parser's own rule (FLATCAR_VERSION_ID first), so the DIGESTS read below are the
      // ones of the release flatcarRelease() then names
      const version = flatcarVersion(versionTxt, versionUrl);
      const imageUrl = flatcarImageUrl({ channelUrl, compression: feed.compression }, version);
      const digests = await authenticate(ctx, {
        kind: 'clearsigned',
        url: `${imageUrl}.DIGESTS.asc`,
        plainUrl: `${imageUrl}.DIGESTS`,
      });
      const releasesJson = feed.releasesUrl ? await text(ctx, feed.releasesUrl) : undefined;
      const release = flatcarRelease({
        options: { channelUrl, compression: feed.compression },
        versionTxt,
        versionUrl,
        digests: digests.text,
        ...(releasesJson ? { releasesJson } : {}),
      });
      return toRelease(series, release, digests.signature);
    }
    case 'build-manifest': {
      const manifest = await authenticate(ctx, {
        kind: 'detached',
        signedUrl: feed.url,
        signatureUrl: `${feed.url}.asc`,
      });
      const [newest] = parseBuildManifest(manifest.text, {
        manifestUrl: feed.url,
        product: feed.product,
      });
      return newest && toRelease(series, newest, manifest.signature);
    }
  }
}

/** The signed checksum list must list the release's file with the same checksum. */
function requireListed(
  series: Series,
  release: ParsedRelease,
  list: Authenticated,
  algorithm: 'sha256' | 'sha512',
) {
  const file = release.url.slice(release.url.lastIndexOf('/') + 1);
  const [entry] = parseChecksumEntries(list.text, release.url, algorithm, (f) => f === file);
  if (!entry) {
    throw new ReleaseRejected(
      series.id,
      'checksum-mismatch',
      `the signed checksum list does not list ${file}`,
      release.version,
    );
  }
  if (entry.value !== release.checksum.value) {
    throw new ReleaseRejected(
      series.id,
      'checksum-mismatch',
      `the signed checksum list says ${entry.value.slice(0, 16)}... for ${file}, the feed ${release.checksum.value.slice(0, 16)}...`,
      release.version,
    );
  }
}

/**
 * A simplestreams document: its clearsigned `.sjson` twin, verified, when the series is
 * signed (required: the twin must be there; optional: unless the series was seen signed);
 * the plain `.json` when the policy is none.
 */
async function streamsDocument(ctx: AuthenticateContext, url: string): Promise<string> {
  if (ctx.series.signature.policy === 'none' || !/\.json$/.test(url)) return text(ctx, url);
  const signed = await authenticate(ctx, {
    kind: 'clearsigned',
    url: url.replace(/\.json$/, '.sjson'),
    plainUrl: url,
  });
  return signed.text;
}

/** The file a signature covers must carry the version the unsigned document claims. */
function requireVersionInName(series: Series, version: string, url: string): void {
  const file = decodeURIComponent(new URL(url).pathname.split('/').pop() ?? '');
  const escaped = version.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  if (new RegExp(`(?<![\\w.])${escaped}(?![\\w]|\\.\\d)`).test(file)) return;
  throw new ReleaseRejected(
    series.id,
    'version-mismatch',
    `the feed says version ${version}, but the signed file is ${file}, whose name does not carry it`,
    version,
  );
}

/** Refuses a URL the series may not be read from (plain http without the feed's opt-in). */
function requireTransport(series: Series, url: string, version?: string): void {
  const why = urlRefusal(series, url);
  if (why) throw new ReleaseRejected(series.id, 'insecure-url', why, version);
}

/** The context with a fetcher that refuses, before any request, a URL the series may not use. */
function transportGuarded(ctx: AuthenticateContext): AuthenticateContext {
  const { fetcher, series } = ctx;
  return {
    ...ctx,
    fetcher: {
      fetch: (id, url, signal) => {
        requireTransport(series, url);
        return fetcher.fetch(id, url, signal);
      },
      fetchOptional: (id, url, signal) => {
        requireTransport(series, url);
        return fetcher.fetchOptional(id, url, signal);
      },
    },
  };
}
