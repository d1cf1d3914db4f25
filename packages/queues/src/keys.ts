// A lossless encoding of a string into a name that is safe as a BullMQ job id (no ':'), a
// Redis key part and a file name (no '/', never '.', '..' or a hidden name), and stays
// readable for the names the system really has: `ubuntu-24.04` and `20261120.1` encode to
// themselves. Two different strings never share a name - `1.0+1` and `1.0_1` stay apart -
// and every name decodes back to its string.
//
//   A-Z a-z 0-9 _ .   kept, except a leading '.'
//   -                 kept, except at either end or next to another '-': an encoded name
//                     never holds "--", so names joined with "--" split back unambiguously
//   anything else     '~' and two upper-case hex digits per UTF-8 byte ('~' itself: ~7E)
//   the empty string  '~'

const KEPT = /^[A-Za-z0-9_.]$/;

function escaped(char: string): string {
  let out = '';
  for (const byte of Buffer.from(char, 'utf8'))
    out += `~${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  return out;
}

export function encodeKey(text: string): string {
  if (text === '') return '~';
  if (!text.isWellFormed())
    throw new Error(`cannot encode ${JSON.stringify(text)}: it is not well-formed Unicode`);
  const chars = [...text];
  let out = '';
  for (const [i, char] of chars.entries()) {
    const keep =
      char === '-'
        ? i > 0 && i < chars.length - 1 && chars[i - 1] !== '-' && chars[i + 1] !== '-'
        : KEPT.test(char) && !(char === '.' && i === 0);
    out += keep ? char : escaped(char);
  }
  return out;
}

/** The string `name` encodes, or undefined when `encodeKey` never produces `name`. */
export function decodeKey(name: string): string | undefined {
  if (name === '~') return '';
  if (!/^(?:[A-Za-z0-9_.-]|~[0-9A-F]{2})+$/.test(name)) return undefined;
  const bytes: number[] = [];
  for (let i = 0; i < name.length;) {
    if (name[i] === '~') {
      bytes.push(parseInt(name.slice(i + 1, i + 3), 16));
      i += 3;
    } else {
      bytes.push(name.charCodeAt(i));
      i += 1;
    }
  }
  const text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  let decoded: string;
  try {
    decoded = text.decode(Uint8Array.from(bytes));
  } catch {
    return undefined;
  }
  // Only the one canonical name of each string decodes (no "~41" for "A", no "a--b").
  return encodeKey(decoded) === name ? decoded : undefined;
}
