// Keeps secrets out of every log line and error message the client produces.
// Two layers: the exact secret values this client knows (passwords, application-credential
// secrets, tokens - registered as they appear), and shape rules for secrets it never saw
// (an `X-Auth-Token:` header, a `"password": "..."` JSON member, a token in a URL query).

export const REDACTED = '[REDACTED]';

const SECRET_KEY =
  /^(password|secret|token|x-auth-token|x-subject-token|authorization|application_credential_secret|api[-_]?key|access[-_]?token)$/i;

const SHAPES: readonly [RegExp, string][] = [
  // JSON members: "password": "...", "secret": "..."
  [
    /("(?:password|secret|token|application_credential_secret)"\s*:\s*")((?:[^"\\]|\\.)*)(")/gi,
    `$1${REDACTED}$3`,
  ],
  // HTTP headers written out as text
  [
    /((?:x-auth-token|x-subject-token|authorization)\s*[:=]\s*)([^\s,;"']+(?:\s+[^\s,;"']+)?)/gi,
    `$1${REDACTED}`,
  ],
  // query parameters and key=value pairs
  [/((?:password|secret|token)=)([^&\s"']+)/gi, `$1${REDACTED}`],
];

export class Redactor {
  readonly #secrets = new Set<string>();

  /** Remember a secret value so that it is masked wherever it appears later. */
  add(secret: string | undefined | null): void {
    // Very short values would mask unrelated text; no real credential is that short.
    if (secret && secret.length >= 4) this.#secrets.add(secret);
  }

  text(input: string): string {
    let out = input;
    for (const secret of this.#secrets) {
      if (out.includes(secret)) out = out.split(secret).join(REDACTED);
    }
    for (const [shape, replacement] of SHAPES) out = out.replace(shape, replacement);
    return out;
  }

  /** A deep copy with secret-named members masked and every string passed through text(). */
  value<T>(input: T): T {
    return this.#value(input, new WeakSet()) as T;
  }

  #value(input: unknown, seen: WeakSet<object>): unknown {
    if (typeof input === 'string') return this.text(input);
    if (input === null || typeof input !== 'object') return input;
    if (seen.has(input)) return '[Circular]';
    seen.add(input);
    if (Array.isArray(input)) return input.map((item) => this.#value(item, seen));
    const out: Record<string, unknown> = {};
    for (const [key, member] of Object.entries(input)) {
      out[key] = SECRET_KEY.test(key) && member != null ? REDACTED : this.#value(member, seen);
    }
    return out;
  }
}
