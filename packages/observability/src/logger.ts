// The process logger: pino, JSON lines, with every secret-shaped field masked before a
// line is written (the OpenStack client masks the secret values it knows on top of this).
import { pino, type Logger, type DestinationStream } from 'pino';

export type { Logger };

/** Paths pino masks in every log object, at the top level and one or two levels down. */
const SECRET_KEYS = [
  'password',
  'secret',
  'token',
  'authorization',
  'x-auth-token',
  'x-subject-token',
  'application_credential_secret',
];
export const redactPaths = SECRET_KEYS.flatMap((key) => [
  `["${key}"]`,
  `*["${key}"]`,
  `*.*["${key}"]`,
]);

export function createLogger(options: {
  name: string;
  level?: string;
  destination?: DestinationStream;
}): Logger {
  return pino(
    {
      name: options.name,
      level: options.level ?? process.env.LOG_LEVEL ?? 'info',
      redact: { paths: redactPaths, censor: '[REDACTED]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    options.destination,
  );
}
