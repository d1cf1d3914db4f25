// The mirror's HTTP side: GET/HEAD of files and directory indexes, strong ETags,
// If-None-Match / If-Modified-Since (304), single byte ranges with If-Range (206/416),
// and the faults applied on the way out.
import { createReadStream } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import type { Registry, SignatureEntry } from './context.ts';
import type { Faults, Rule } from './faults.ts';
import { clearsign, signDetached, type TestKey } from './keys.ts';
import type { RequestCounters, RequestLogEntry } from './stats.ts';
import { Store, type DirEntry, type Resolved } from './store.ts';
import type { KeyName } from './types.ts';
import { sleep } from './util.ts';

export interface ServeDeps {
  store: Store;
  registry: Registry;
  faults: Faults;
  counters: RequestCounters;
  keys: Readonly<Record<KeyName, TestKey>>;
  forger: TestKey;
}

const TYPES: Array<[RegExp, string]> = [
  [/\.(json)$/, 'application/json'],
  [/\.(asc|gpg|sig)$/, 'application/pgp-signature'],
  [/\.xz$/, 'application/x-xz'],
  [/\.bz2$/, 'application/x-bzip2'],
  [/\.gz$/, 'application/gzip'],
  [/\.(qcow2|qcow2c|img|raw)$/, 'application/octet-stream'],
  [/(\.txt|\.sjson|\.manifest|SUMS|CHECKSUM|DIGESTS)$/, 'text/plain; charset=utf-8'],
];
const contentType = (name: string) =>
  TYPES.find(([re]) => re.test(name))?.[1] ?? 'application/octet-stream';

const strongEtag = (data: Uint8Array) =>
  `"${createHash('sha256').update(data).digest('hex').slice(0, 32)}"`;

// ---- content transforms (swapped checksums, forged / re-made signatures) ----

function swappedDigest(digest: string): string {
  const h = createHash('sha512').update(`swapped:${digest}`);
  if (/^[0-9a-f]+$/.test(digest)) {
    const hex = h.digest('hex');
    return (hex + hex).slice(0, digest.length);
  }
  return h.digest('base64').replace(/[+/=]/g, 'A').slice(0, digest.length);
}

export function swapDigests(text: string, registry: Registry, file?: string): string {
  let out = text;
  for (const [digest, name] of registry.digests) {
    if (file !== undefined && name !== file) continue;
    if (out.includes(digest)) out = out.replaceAll(digest, swappedDigest(digest));
  }
  return out;
}

const FORGE_MARK = '\nforged-by-the-mirror';

/** A clearsigned document showing `text` whose signature (by `key`) is over other text. */
async function clearsignOtherData(text: string, key: TestKey): Promise<string> {
  const signed = await clearsign(text + FORGE_MARK, key);
  const at = signed.indexOf(FORGE_MARK + '\n-----BEGIN PGP SIGNATURE-----');
  if (at < 0) throw new Error('could not place the forged clearsigned text');
  return signed.slice(0, at) + signed.slice(at + FORGE_MARK.length);
}

interface Body {
  data?: Buffer;
  faults: string[];
}

/** The bytes to serve instead of the file, when a content fault applies; else `data` is undefined. */
async function content(
  deps: ServeDeps,
  file: Resolved,
  paths: string[],
  sig: SignatureEntry | undefined,
  cache: Map<string, Buffer>,
): Promise<Body> {
  const { registry, faults, store } = deps;
  if (!sig) {
    const rewrite = faults.take('rewrite', paths);
    if (rewrite) {
      const text = (await store.read(file.canonical)).toString('utf8');
      return {
        data: Buffer.from(text.replaceAll(rewrite.from, rewrite.to)),
        faults: [`rewrite#${rewrite.id}`],
      };
    }
  }
  if (!sig) {
    if (!registry.checksumFiles.has(file.canonical)) return { faults: [] };
    const swap = faults.take('swapChecksum', paths);
    if (!swap) return { faults: [] };
    const text = (await store.read(file.canonical)).toString('utf8');
    return {
      data: Buffer.from(swapDigests(text, registry, swap.file)),
      faults: [`swapChecksum#${swap.id}`],
    };
  }
  const both = [...paths, sig.subject];
  const subjectSums = registry.checksumFiles.has(sig.subject);
  const swap = subjectSums
    ? faults.peek('swapChecksum', both, (r) => sig.kind === 'clearsigned' || r.resign)
    : undefined;
  const forge = faults.take('forgeSignature', both);
  if (!swap && !forge) return { faults: [] };
  if (swap) swap.hits++;
  const applied = [swap && `swapChecksum#${swap.id}`, forge && `forgeSignature#${forge.id}`].filter(
    (x): x is string => !!x,
  );
  const subjectEtag = store.etag((await store.resolve(sig.subject)) ?? file);
  const key = `${swap?.id ?? 0}/${forge?.id ?? 0}/${file.canonical}/${subjectEtag}/${store.etag(file)}`;
  const cached = cache.get(key);
  if (cached) return { data: cached, faults: applied };

  const genuine = deps.keys[sig.key];
  const signer = forge?.mode === 'other-key' ? deps.forger : genuine;
  let subject = await store.read(sig.subject);
  if (swap && (swap.resign || sig.kind === 'clearsigned'))
    subject = Buffer.from(swapDigests(subject.toString('utf8'), registry, swap.file));
  let data: Buffer;
  if (sig.kind === 'clearsigned') {
    const text = subject.toString('utf8');
    if (swap && !swap.resign && !forge) {
      // the published document with its digests replaced: its signature no longer verifies
      data = Buffer.from(
        swapDigests((await store.read(file.canonical)).toString('utf8'), registry, swap.file),
      );
    } else if (forge?.mode === 'other-data') {
      data = Buffer.from(await clearsignOtherData(text, genuine));
    } else {
      data = Buffer.from(await clearsign(text, signer));
    }
  } else {
    const signed =
      forge?.mode === 'other-data' ? Buffer.concat([subject, Buffer.from(FORGE_MARK)]) : subject;
    data =
      sig.kind === 'armored'
        ? Buffer.from(await signDetached(signed, signer))
        : Buffer.from(await signDetached(signed, signer, { armor: false }));
  }
  cache.set(key, data);
  return { data, faults: applied };
}

// ---- directory indexes ----

function humanSize(n: number): string {
  if (n < 1024) return String(n);
  const units = ['K', 'M', 'G', 'T'];
  let v = n;
  let u = -1;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)}${units[u]}`;
}

const esc = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Apache-style autoindex. Names with a colon get a `./` prefix so they are not read as a URL scheme. */
export function directoryIndex(path: string, entries: DirEntry[]): string {
  const upstreamPath = '/' + path.split('/').slice(2).join('/');
  const title = `Index of ${upstreamPath.replace(/\/$/, '') || '/'}`;
  const stamp = (d: Date) => d.toISOString().slice(0, 16).replace('T', ' ');
  const rows = entries.map((e) => {
    const name = e.dir ? `${e.name}/` : e.name;
    const href =
      (name.includes(':') ? './' : '') + encodeURI(name).replace(/#/g, '%23').replace(/\?/g, '%3F');
    return `<tr><td valign="top">${e.dir ? '[DIR]' : '[   ]'}</td><td><a href="${esc(href)}">${esc(name)}</a></td><td align="right">${stamp(e.mtime)}  </td><td align="right">${e.dir ? '  - ' : humanSize(e.size)}</td><td>&nbsp;</td></tr>`;
  });
  return [
    '<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 3.2 Final//EN">',
    '<html>',
    ` <head>\n  <title>${esc(title)}</title>\n </head>`,
    ' <body>',
    `<h1>${esc(title)}</h1>`,
    '  <table>',
    '   <tr><th valign="top">&nbsp;</th><th><a href="?C=N;O=D">Name</a></th><th><a href="?C=M;O=A">Last modified</a></th><th><a href="?C=S;O=A">Size</a></th><th><a href="?C=D;O=A">Description</a></th></tr>',
    '   <tr><th colspan="5"><hr></th></tr>',
    '<tr><td valign="top">[PARENTDIR]</td><td><a href="../">Parent Directory</a></td><td>&nbsp;</td><td align="right">  - </td><td>&nbsp;</td></tr>',
    ...rows,
    '   <tr><th colspan="5"><hr></th></tr>',
    '</table>',
    '</body></html>',
    '',
  ].join('\n');
}

// ---- conditional requests and ranges ----

function etagMatches(header: string, etag: string): boolean {
  const bare = (t: string) => t.trim().replace(/^W\//, '');
  return header.split(',').some((t) => t.trim() === '*' || bare(t) === bare(etag));
}

type Range = { start: number; end: number } | 'unsatisfiable' | undefined;

export function parseRange(header: string | undefined, size: number): Range {
  if (!header) return undefined;
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/.exec(header);
  if (!m) return undefined; // multiple or malformed ranges: ignore, serve the whole body
  const [, s = '', e = ''] = m;
  if (s === '' && e === '') return undefined;
  if (s === '') {
    const n = Number(e);
    if (n === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(s);
  if (e !== '' && Number(e) < start) return undefined;
  if (start >= size) return 'unsatisfiable';
  return { start, end: e === '' ? size - 1 : Math.min(Number(e), size - 1) };
}

// ---- the handler ----

export function createHandler(
  deps: ServeDeps,
): (req: IncomingMessage, res: ServerResponse) => void {
  const cache = new Map<string, Buffer>();
  return (req, res) => {
    handle(deps, cache, req, res).catch((err: unknown) => {
      if (!res.headersSent) {
        res.statusCode = 500;
        res.setHeader('Content-Type', 'text/plain');
        res.end(`mirror error: ${err instanceof Error ? err.message : String(err)}\n`);
      } else {
        res.destroy();
      }
    });
  };
}

async function handle(
  deps: ServeDeps,
  cache: Map<string, Buffer>,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const t0 = performance.now();
  const method = req.method ?? 'GET';
  let path: string;
  try {
    path = Store.normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://mirror').pathname));
  } catch {
    path = req.url ?? '/';
  }
  const stats = deps.counters.start(path);
  const header = (name: string) => {
    const v = req.headers[name];
    return Array.isArray(v) ? v.join(', ') : v;
  };
  const entry: RequestLogEntry = {
    method,
    path,
    status: 0,
    bytes: 0,
    faults: [],
    aborted: false,
    ms: 0,
  };
  for (const [field, name] of [
    ['range', 'range'],
    ['ifNoneMatch', 'if-none-match'],
    ['ifModifiedSince', 'if-modified-since'],
    ['ifRange', 'if-range'],
  ] as const) {
    const v = header(name);
    if (v !== undefined) entry[field] = v;
  }
  // body bytes this response promised (Content-Length of a 200/206 GET)
  let promised = 0;
  res.on('close', () => {
    entry.status = res.statusCode;
    entry.aborted = entry.bytes < promised;
    entry.ms = Math.round(performance.now() - t0);
    deps.counters.finish(stats, entry);
  });
  const plain = (status: number, text: string, headers: Record<string, string> = {}) => {
    res.writeHead(status, {
      'Content-Type': 'text/plain; charset=utf-8',
      'Content-Length': Buffer.byteLength(text),
      ...headers,
    });
    if (method === 'HEAD') res.end();
    else {
      deps.counters.sent(stats, Buffer.byteLength(text));
      entry.bytes += Buffer.byteLength(text);
      res.end(text);
    }
  };

  const resolved = await deps.store.resolve(path);
  const paths = resolved && resolved.canonical !== path ? [path, resolved.canonical] : [path];
  const { faults } = deps;

  const fail = faults.take('fail', paths);
  if (fail) {
    entry.faults.push(`fail#${fail.id}`);
    return plain(fail.status, `mirror fault: injected ${fail.status}\n`);
  }
  const delay = faults.take('delay', paths);
  if (delay) {
    entry.faults.push(`delay#${delay.id}`);
    await sleep(delay.ms);
  }
  if (method !== 'GET' && method !== 'HEAD')
    return plain(405, 'method not allowed\n', { Allow: 'GET, HEAD' });
  if (!resolved) return plain(404, 'not found\n');

  let data: Buffer | undefined;
  let etag: string;
  let lastModified: Date;
  let type: string;
  if (resolved.kind === 'dir') {
    if (!path.endsWith('/')) return plain(301, 'moved\n', { Location: encodeURI(`${path}/`) });
    const entries = await deps.store.list(resolved);
    data = Buffer.from(directoryIndex(path, entries));
    etag = strongEtag(data);
    lastModified = resolved.stats.mtime;
    type = 'text/html; charset=utf-8';
  } else {
    const sig = deps.registry.signatures.get(resolved.canonical);
    if (sig) {
      const drop = faults.take('dropSignature', [...paths, sig.subject]);
      if (drop) {
        entry.faults.push(`dropSignature#${drop.id}`);
        return plain(404, 'not found\n');
      }
    }
    const body = await content(deps, resolved, paths, sig, cache);
    entry.faults.push(...body.faults);
    data = body.data;
    etag = data ? strongEtag(data) : deps.store.etag(resolved);
    lastModified = resolved.stats.mtime;
    type = contentType(posix.basename(resolved.canonical));
  }
  const size = data ? data.length : resolved.stats.size;
  const lastModifiedHttp = new Date(Math.floor(lastModified.getTime() / 1000) * 1000).toUTCString();
  const headers: Record<string, string | number> = {
    'Content-Type': type,
    ETag: etag,
    'Last-Modified': lastModifiedHttp,
    'Accept-Ranges': 'bytes',
  };

  // conditional GET / HEAD: If-None-Match wins over If-Modified-Since
  const inm = header('if-none-match');
  const ims = header('if-modified-since');
  const notModified =
    inm !== undefined
      ? etagMatches(inm, etag)
      : ims !== undefined &&
        !Number.isNaN(Date.parse(ims)) &&
        Math.floor(lastModified.getTime() / 1000) * 1000 <= Date.parse(ims);
  if (notModified) {
    res.writeHead(304, { ETag: etag, 'Last-Modified': lastModifiedHttp });
    res.end();
    return;
  }

  let range = parseRange(header('range'), size);
  const ifRange = header('if-range');
  if (range && ifRange !== undefined) {
    const valid = ifRange.trim().startsWith('"')
      ? ifRange.trim() === etag
      : ifRange.trim() === lastModifiedHttp;
    if (!valid) range = undefined;
  }
  if (range === 'unsatisfiable')
    return plain(416, 'range not satisfiable\n', { 'Content-Range': `bytes */${size}` });
  const start = range ? range.start : 0;
  const end = range ? range.end : size - 1;
  const length = Math.max(0, end - start + 1);
  headers['Content-Length'] = length;
  if (range) headers['Content-Range'] = `bytes ${start}-${end}/${size}`;
  res.writeHead(range ? 206 : 200, headers);
  if (method !== 'HEAD') promised = length;
  res.flushHeaders();
  if (method === 'HEAD' || length === 0) {
    res.end();
    return;
  }

  // the body, with the streaming faults
  const corrupt =
    resolved.kind === 'file'
      ? faults.take(
          'corrupt',
          paths,
          (r) => r.exact !== undefined || deps.registry.artifacts.has(resolved.canonical),
        )
      : undefined;
  const trickle = faults.take('trickle', paths);
  const truncate = faults.take('truncate', paths);
  for (const r of [corrupt, trickle, truncate] as Array<Rule | undefined>)
    if (r) entry.faults.push(`${r.kind}#${r.id}`);
  const corruptFrom = corrupt ? (corrupt.offset ?? Math.floor(size / 2)) : -1;
  const corruptTo = corrupt ? corruptFrom + corrupt.length : -1;
  const cutAt = truncate
    ? Math.min(length - 1, truncate.afterBytes ?? Math.floor(length * truncate.fraction))
    : Infinity;

  const source: Iterable<Buffer> | AsyncIterable<Buffer> = data
    ? [data.subarray(start, end + 1)]
    : createReadStream(resolved.fsPath, { start, end, highWaterMark: 64 * 1024 });
  let offset = start; // absolute offset in the full body
  let sent = 0;
  const write = (chunk: Buffer) =>
    new Promise<boolean>((resolve) => {
      if (res.destroyed) return resolve(false);
      deps.counters.sent(stats, chunk.length);
      entry.bytes += chunk.length;
      if (res.write(chunk)) return resolve(true);
      const done = (ok: boolean) => () => {
        res.off('drain', onDrain);
        res.off('close', onClose);
        resolve(ok);
      };
      const onDrain = done(true);
      const onClose = done(false);
      res.once('drain', onDrain);
      res.once('close', onClose);
    });
  for await (const raw of source) {
    let chunk = raw;
    if (corrupt && offset < corruptTo && offset + chunk.length > corruptFrom) {
      chunk = Buffer.from(chunk);
      for (
        let i = Math.max(corruptFrom, offset);
        i < Math.min(corruptTo, offset + chunk.length);
        i++
      )
        chunk[i - offset] = (chunk[i - offset] as number) ^ 0xff;
    }
    offset += chunk.length;
    const step = trickle ? trickle.chunkBytes : chunk.length;
    for (let i = 0; i < chunk.length; i += step) {
      let piece = chunk.subarray(i, i + step);
      if (sent + piece.length >= cutAt) {
        // promised Content-Length, deliver less: the last bytes, flushed, then close mid-body
        piece = piece.subarray(0, cutAt - sent);
        deps.counters.sent(stats, piece.length);
        entry.bytes += piece.length;
        await new Promise<void>((resolve) => res.write(piece, () => resolve()));
        res.destroy();
        return;
      }
      if (piece.length > 0 && !(await write(piece))) return;
      sent += piece.length;
      if (trickle) await sleep(trickle.intervalMs);
    }
  }
  res.end();
}
