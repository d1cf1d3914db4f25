// One reader per feed kind: fetch the documents the feed consists of, authenticate the one
// that carries checksums (per the series' signature policy), and parse only what was
// authenticated. The result is the series' newest release, ready for the download queue.
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
import type { Series } from '@imagecycle/series-catalogue';
import { authenticate, type AuthenticateContext, type Authenticated } from './authenticate.ts';
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
    return await readByKind(ctx);
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
      const productsUrl = parseSimplestreamsIndex(
        await text(ctx, feed.indexUrl),
        feed.indexUrl,
        feed.productId,
      );
      const [newest] = parseSimplestreamsProducts(await text(ctx, productsUrl), {
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
      // Fedora signs the image file itself: the downloader verifies it over the bytes.
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
          return toRelease(series, newest, { status: 'not-required' });
        }
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
