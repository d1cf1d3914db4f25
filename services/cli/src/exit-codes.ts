// Exit codes scripts can rely on.
export const EXIT = {
  ok: 0,
  /** The work ran and something failed or was rejected (details on stderr / in --json). */
  failed: 1,
  /** Wrong usage: unknown command, option or worker name. */
  usage: 2,
  /** Bad configuration: settings, catalogue, clouds.yaml. */
  config: 3,
  /** A dependency is unreachable (Redis, Keystone) or the wait timed out. */
  unavailable: 4,
} as const;

export class CliError extends Error {
  readonly code: number;
  constructor(code: number, message: string) {
    super(message);
    this.code = code;
  }
}
