// Test helpers: raw HTTP GETs (so truncated bodies are observable), OpenPGP verification
// against the mirror's exported keys, and an independent qcow2 header reader.
import { createHash } from 'node:crypto';
import { request } from 'node:http';
import * as openpgp from 'openpgp';

export interface Got {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  /** false when the connection closed before Content-Length bytes arrived. */
  complete: boolean;
}

/** GET/HEAD with node:http; never throws on a cut body, reports it as `complete: false`. */
export function get(
  url: string,
  headers: Record<string, string> = {},
  method = 'GET',
): Promise<Got> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      const flat: Record<string, string> = {};
      for (const [k, v] of Object.entries(res.headers))
        if (v !== undefined) flat[k] = Array.isArray(v) ? v.join(', ') : v;
      const done = (complete: boolean) =>
        resolve({
          status: res.statusCode ?? 0,
          headers: flat,
          body: Buffer.concat(chunks),
          complete,
        });
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => done(res.complete));
      res.on('error', () => done(false));
      res.on('aborted', () => done(false));
    });
    req.on('error', reject);
    req.end();
  });
}

export async function getOk(url: string): Promise<Buffer> {
  const r = await get(url);
  if (r.status !== 200) throw new Error(`GET ${url}: ${r.status}`);
  return r.body;
}

export async function getText(url: string): Promise<string> {
  return (await getOk(url)).toString('utf8');
}

export async function getJson<T = unknown>(url: string): Promise<T> {
  return JSON.parse(await getText(url)) as T;
}

export const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');
export const sha512 = (data: Uint8Array) => createHash('sha512').update(data).digest('hex');
export const md5 = (data: Uint8Array) => createHash('md5').update(data).digest('hex');

async function keysOf(armored: string | string[]): Promise<openpgp.Key[]> {
  const blocks = Array.isArray(armored) ? armored : [armored];
  return (await Promise.all(blocks.map((b) => openpgp.readKeys({ armoredKeys: b })))).flat();
}

/** Verify a detached signature (armored or binary, sniffed); resolves to the issuer key id (16 hex, upper case). */
export async function verifyDetached(
  data: Uint8Array,
  signature: Uint8Array,
  keys: string | string[],
): Promise<string> {
  const text = Buffer.from(signature).toString('latin1');
  const sig = text.startsWith('-----BEGIN PGP SIGNATURE-----')
    ? await openpgp.readSignature({ armoredSignature: text })
    : await openpgp.readSignature({ binarySignature: signature });
  const message = await openpgp.createMessage({ binary: data });
  const { signatures } = await openpgp.verify({
    message,
    signature: sig,
    verificationKeys: await keysOf(keys),
  });
  const [first] = signatures;
  if (!first) throw new Error('no signature');
  await first.verified;
  return first.keyID.toHex().toUpperCase();
}

/** Verify a clearsigned document; resolves to the signed text and the issuer key id. */
export async function verifyClearsigned(
  armored: string,
  keys: string | string[],
): Promise<{ text: string; keyId: string }> {
  const message = await openpgp.readCleartextMessage({ cleartextMessage: armored });
  const { signatures, data } = await openpgp.verify({
    message,
    verificationKeys: await keysOf(keys),
  });
  const [first] = signatures;
  if (!first) throw new Error('no signature');
  await first.verified;
  return { text: data, keyId: first.keyID.toHex().toUpperCase() };
}

export interface Qcow2Header {
  magic: string;
  version: number;
  backingFileOffset: bigint;
  clusterBits: number;
  size: bigint;
  cryptMethod: number;
  l1Size: number;
  l1TableOffset: bigint;
  refcountTableOffset: bigint;
  refcountTableClusters: number;
  nbSnapshots: number;
  incompatibleFeatures: bigint;
  refcountOrder: number;
  headerLength: number;
}

export function readQcow2Header(b: Buffer): Qcow2Header {
  return {
    magic: b.subarray(0, 4).toString('latin1'),
    version: b.readUInt32BE(4),
    backingFileOffset: b.readBigUInt64BE(8),
    clusterBits: b.readUInt32BE(20),
    size: b.readBigUInt64BE(24),
    cryptMethod: b.readUInt32BE(32),
    l1Size: b.readUInt32BE(36),
    l1TableOffset: b.readBigUInt64BE(40),
    refcountTableOffset: b.readBigUInt64BE(48),
    refcountTableClusters: b.readUInt32BE(56),
    nbSnapshots: b.readUInt32BE(60),
    incompatibleFeatures: b.readBigUInt64BE(72),
    refcountOrder: b.readUInt32BE(96),
    headerLength: b.readUInt32BE(100),
  };
}

/** `<hex>  <file>` / `<hex> *<file>` lines -> file -> hex. Throws on any other non-comment line. */
export function parseGnuSums(text: string, hexLength: number): Map<string, string> {
  const out = new Map<string, string>();
  const re = new RegExp(`^([0-9a-f]{${hexLength}}) [ *](\\S+)$`);
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = re.exec(line);
    if (!m) throw new Error(`not a GNU checksum line: ${JSON.stringify(line)}`);
    out.set(m[2] as string, m[1] as string);
  }
  return out;
}

/** `SHA256 (<file>) = <hex>` lines (and `# <file>: ... bytes` comments) -> file -> {hex, sizeComment}. */
export function parseBsdSums(text: string): Map<string, { hex: string; comment?: string }> {
  const out = new Map<string, { hex: string; comment?: string }>();
  const comments = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const c = /^# (\S+): (.+)$/.exec(line);
    if (c) {
      comments.set(c[1] as string, c[2] as string);
      continue;
    }
    const m = /^SHA256 \((\S+)\) = ([0-9a-f]{64})$/.exec(line);
    if (!m) throw new Error(`not a BSD checksum line: ${JSON.stringify(line)}`);
    const comment = comments.get(m[1] as string);
    out.set(m[1] as string, { hex: m[2] as string, ...(comment ? { comment } : {}) });
  }
  return out;
}

/** The directory URL of a file URL. */
export const dirOf = (url: string) => url.slice(0, url.lastIndexOf('/') + 1);
