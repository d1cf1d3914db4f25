// Every lifecycle transition, recorded three ways: a structured log line (series, version,
// image id), an entry in a bounded Redis stream the control plane reads, and - when an
// operator configures one - a webhook call. Recording never fails the transition itself:
// a stream or webhook error is logged and dropped.
import got from 'got';
import type { Cluster, Redis } from 'ioredis';
import { z } from 'zod';

export const EVENT_TYPES = [
  'discovered',
  'downloaded',
  'rejected',
  'uploaded',
  'promoted',
  'demoted',
  'unused',
  'reaped',
  'kept-in-use',
  /** The janitor repaired what a crash, a timeout or an operator left. */
  'repaired',
  /** A usage check's findings for one series: in use, newly unused, handed to the reaper, kept and why. */
  'usage-checked',
  /** A stage picked up what a crash left: a leftover candidate, a partial download, a reap in settle. */
  'recovered',
  /** A target's upload of a release failed for good: it has no copy until a later download. */
  'gave-up',
  /** The targets' Latest of a series has differed for longer than allowed: one fell behind. */
  'targets-disagree',
] as const;

export const eventSchema = z.object({
  type: z.enum(EVENT_TYPES),
  series: z.string().min(1),
  version: z.string().optional(),
  imageId: z.string().optional(),
  /** The target (Glance) it happened in, when the deployment names targets. */
  target: z.string().optional(),
  /** Why, in words: the rejection reason, who uses the image, ... */
  detail: z.string().optional(),
  at: z.iso.datetime(),
});
export type LifecycleEvent = z.infer<typeof eventSchema>;

export interface EventLogger {
  info(object: object, message?: string): void;
  warn(object: object, message?: string): void;
}

export interface EventsOptions {
  /** A standalone or Sentinel-managed Redis, or a Redis Cluster. */
  redis: Redis | Cluster;
  logger: EventLogger;
  /** Stream key; default `imagecycle:events`. */
  stream?: string;
  /** Approximate bound of the stream (XADD MAXLEN ~). */
  maxLength?: number;
  webhookUrl?: string | undefined;
  now?: () => Date;
}

export class Events {
  readonly #options: EventsOptions;
  readonly #stream: string;

  constructor(options: EventsOptions) {
    this.#options = options;
    this.#stream = options.stream ?? 'imagecycle:events';
  }

  async record(event: Omit<LifecycleEvent, 'at'>): Promise<LifecycleEvent> {
    const full = eventSchema.parse({
      ...event,
      at: (this.#options.now?.() ?? new Date()).toISOString(),
    });
    this.#options.logger.info(
      { event: full.type, ...full },
      `${full.type}: ${full.series}${full.version ? ` ${full.version}` : ''}${full.target ? ` in ${full.target}` : ''}`,
    );
    try {
      await this.#options.redis.xadd(
        this.#stream,
        'MAXLEN',
        '~',
        String(this.#options.maxLength ?? 10_000),
        '*',
        'event',
        JSON.stringify(full),
      );
    } catch (error) {
      this.#options.logger.warn(
        { err: (error as Error).message, stream: this.#stream },
        'event not written to the stream',
      );
    }
    if (this.#options.webhookUrl) {
      try {
        await got.post(this.#options.webhookUrl, {
          json: full,
          timeout: { request: 5000 },
          retry: { limit: 2 },
        });
      } catch (error) {
        this.#options.logger.warn(
          { err: (error as Error).message, webhook: this.#options.webhookUrl },
          'event not delivered to the webhook',
        );
      }
    }
    return full;
  }

  /** The newest events first, at most `count`, optionally of one series. */
  async recent(count = 100, series?: string): Promise<LifecycleEvent[]> {
    const entries = await this.#options.redis.xrevrange(
      this.#stream,
      '+',
      '-',
      'COUNT',
      series ? count * 10 : count,
    );
    const events: LifecycleEvent[] = [];
    for (const [, fields] of entries) {
      const raw = fields[fields.indexOf('event') + 1];
      const parsed = eventSchema.safeParse(raw ? (JSON.parse(raw) as unknown) : undefined);
      if (parsed.success && (!series || parsed.data.series === series)) events.push(parsed.data);
      if (events.length >= count) break;
    }
    return events;
  }
}
