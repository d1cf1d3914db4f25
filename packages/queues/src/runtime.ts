// The BullMQ side: producers for every declared queue, and workers for the queues this
// process's run mode consumes. Any process may produce; the run mode decides who consumes.
// Handlers come as one map from queue name to handler (HandlerMap makes it exhaustive at
// compile time); start-up still fails loudly when a consumed queue has no handler or a
// handler names a queue the runtime does not declare.
import {
  type ConnectionOptions,
  Job,
  type JobsOptions,
  DelayedError,
  Queue,
  UnrecoverableError,
  WaitingError,
  Worker,
} from 'bullmq';
import type { Handler, HandlerTable, PayloadInput, QueueDefinition } from './definition.ts';
import { FinalFailure, JobCancelled, QueueConfigurationError, RunLater } from './errors.ts';
import { invokeHandler, parsePayload } from './invoke.ts';

export interface QueueLogger {
  info(object: object, message?: string): void;
  warn(object: object, message?: string): void;
  error(object: object, message?: string): void;
}

export interface RuntimeOptions {
  connection: ConnectionOptions;
  /** Key prefix in Redis. For Redis Cluster use a hash tag, e.g. `{imagecycle}`. */
  prefix?: string;
  /** Every queue the system has; enqueueing to anything else is refused. */
  queues: readonly QueueDefinition[];
  logger?: QueueLogger;
  /** How workers hold and recover jobs (a worker that dies loses its lock after lockDurationMs). */
  worker?: WorkerTuning;
  /** Overrides the first retry delay of every queue (the backoff grows from it). */
  retryDelayMs?: number | undefined;
  /** Told of every attempt this process's workers finish (metrics). */
  observer?: JobObserver;
}

export interface JobObserver {
  /**
   * `final`: a failure after which the job is not retried any more. `cancelled`: cut short
   * by a shutdown and put back in its queue (not a failed attempt).
   */
  attemptFinished(attempt: {
    queue: string;
    result: 'completed' | 'failed' | 'cancelled' | 'delayed';
    seconds: number;
    final: boolean;
  }): void;
}

export interface WorkerTuning {
  /** How long a job's lock lasts without renewal; a killed worker's job is recovered after it. */
  lockDurationMs?: number;
  /** How often workers look for jobs whose lock expired (default: lockDurationMs). */
  stalledIntervalMs?: number;
  /** How many times a job may be recovered from a dead worker before it fails. */
  maxStalledCount?: number;
}

export interface ClockOptions {
  /** How often due delayed jobs are moved to wait (default 5 s). */
  intervalMs?: number;
  /** Told of every round that moved something (logs, tests). */
  onTick?: (moved: { queue: string; promoted: number }) => void;
}

export interface CloseOptions {
  /**
   * After the deadline, how long cancelled handlers get to unwind (close a socket, kill a
   * child process, delete what they half made) before their jobs count as abandoned.
   */
  unwindMs?: number;
}

export interface CloseResult {
  /** Jobs running at the deadline whose handlers stopped on their signal: back in the queue. */
  cancelled: number;
  /** Jobs whose handlers were still running after the unwind grace: left to their locks. */
  abandoned: number;
}

const DEFAULT_UNWIND_MS = 5000;

export class QueueRuntime {
  readonly prefix: string;
  readonly #connection: ConnectionOptions;
  readonly #definitions = new Map<string, QueueDefinition>();
  readonly #queues = new Map<string, Queue>();
  readonly #workers: Worker[] = [];
  /** The clock's processor-less workers (stalled checks only) and its timer. */
  readonly #clockWorkers: Worker[] = [];
  #clockTimer: NodeJS.Timeout | undefined;
  #clockRound: Promise<void> | undefined;
  readonly #logger: QueueLogger | undefined;
  readonly #tuning: WorkerTuning;
  readonly #observer: JobObserver | undefined;
  readonly #retryDelayMs: number | undefined;
  /** The cancel switch of every job this process runs now, by queue and job id. */
  readonly #running = new Map<string, AbortController>();
  readonly #leases = new Map<string, { renewed(): void; lost(why: string): void }>();
  #cancelled = 0;

  constructor(options: RuntimeOptions) {
    this.prefix = options.prefix ?? 'imagecycle';
    this.#connection = options.connection;
    this.#logger = options.logger;
    this.#tuning = options.worker ?? {};
    this.#observer = options.observer;
    this.#retryDelayMs = options.retryDelayMs;
    for (const definition of options.queues) {
      if (this.#definitions.has(definition.name)) {
        throw new QueueConfigurationError(`queue "${definition.name}" is declared twice`);
      }
      this.#definitions.set(definition.name, definition);
    }
  }

  get definitions(): QueueDefinition[] {
    return [...this.#definitions.values()];
  }

  /** The BullMQ Queue of a declaration (for Bull Board, counts, schedulers). */
  queue(definition: QueueDefinition): Queue {
    const known = this.#definitions.get(definition.name);
    if (known !== definition)
      throw new QueueConfigurationError(
        `queue "${definition.name}" is not declared in this runtime`,
      );
    let queue = this.#queues.get(definition.name);
    if (!queue) {
      queue = new Queue(definition.name, {
        connection: this.#connection,
        prefix: this.prefix,
        defaultJobOptions: this.#withRetryDelay(definition.defaultJobOptions),
      });
      this.#queues.set(definition.name, queue);
    }
    return queue;
  }

  #withRetryDelay(options: JobsOptions | undefined): JobsOptions | undefined {
    const backoff = options?.backoff;
    if (this.#retryDelayMs === undefined || !backoff || typeof backoff === 'number') return options;
    return { ...options, backoff: { ...backoff, delay: this.#retryDelayMs } };
  }

  /**
   * The state of the job `jobId` of a queue while it is still to run or running (`waiting`,
   * `delayed`, `prioritized`, `waiting-children`, `active`); undefined when there is no such
   * job, or it completed or failed for good.
   */
  async pendingJobState(definition: QueueDefinition, jobId: string): Promise<string | undefined> {
    const state = await this.queue(definition).getJobState(jobId);
    return state === 'completed' || state === 'failed' || state === 'unknown' ? undefined : state;
  }

  /**
   * Parses the payload, then adds the job (under its deterministic id when it has one). A job
   * of that id that failed for good is kept for its queue's removeOnFail age, for operators
   * to read; the same work enqueued again retries that job (with this payload, its attempts
   * counted afresh) instead of being a no-op until the failure expires.
   */
  async enqueue<Q extends QueueDefinition>(
    definition: Q,
    payload: PayloadInput<Q>,
    options: JobsOptions = {},
  ) {
    const parsed = parsePayload(definition, payload);
    const jobId = options.jobId ?? definition.jobId?.(parsed);
    if (jobId) {
      const previous = await this.queue(definition).getJob(jobId);
      if (previous && (await previous.isFailed()))
        try {
          await previous.updateData(parsed);
          await previous.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
          return previous;
        } catch (error) {
          // another enqueuer retried it first (it is no longer failed): add() returns that job
          if (await previous.isFailed()) throw error;
        }
    }
    return this.queue(definition).add(definition.name, parsed, {
      ...options,
      ...(jobId ? { jobId } : {}),
    });
  }

  /**
   * Enqueues work whose earlier job finished, to be done once more: a completed or failed
   * job of the same id is removed first (enqueue() alone would keep a completed one as the
   * answer). A job of that id still to run is left to run; one that is running is waited
   * for (up to `activeWaitMs`), since it may finish before it sees whatever made the work
   * necessary again.
   */
  async enqueueAgain<Q extends QueueDefinition>(
    definition: Q,
    payload: PayloadInput<Q>,
    options: JobsOptions & { activeWaitMs?: number } = {},
  ) {
    const { activeWaitMs = 60_000, ...jobOptions } = options;
    const parsed = parsePayload(definition, payload);
    const jobId = jobOptions.jobId ?? definition.jobId?.(parsed);
    const queue = this.queue(definition);
    const until = Date.now() + activeWaitMs;
    for (let previous = jobId ? await queue.getJob(jobId) : undefined; previous;) {
      const state = await previous.getState();
      if (state === 'completed' || state === 'failed') {
        await previous.remove().catch(() => undefined); // someone else may have removed it
      } else if (state === 'active' && Date.now() < until) {
        await new Promise((resolve) => setTimeout(resolve, 250));
      } else if (state !== 'unknown') {
        return previous; // waiting, delayed, prioritized: it runs anyway
      }
      previous = await queue.getJob(jobId as string);
    }
    return this.enqueue(definition, parsed as PayloadInput<Q>, jobOptions);
  }

  /**
   * Makes the set of repeating jobs of a queue exactly `schedules` (by id): creates or updates
   * each (BullMQ job schedulers are upserts, so every process may call this at start-up), and
   * removes the ones whose id starts with `idPrefix` but is no longer wanted.
   */
  async syncSchedules<Q extends QueueDefinition>(
    definition: Q,
    idPrefix: string,
    schedules: readonly { id: string; cron: string; timezone: string; payload: PayloadInput<Q> }[],
  ): Promise<void> {
    const queue = this.queue(definition);
    for (const schedule of schedules) {
      if (!schedule.id.startsWith(idPrefix))
        throw new QueueConfigurationError(
          `schedule id "${schedule.id}" lacks prefix "${idPrefix}"`,
        );
      await queue.upsertJobScheduler(
        schedule.id,
        { pattern: schedule.cron, tz: schedule.timezone },
        { name: definition.name, data: parsePayload(definition, schedule.payload) },
      );
    }
    const wanted = new Set(schedules.map((schedule) => schedule.id));
    for (const existing of await queue.getJobSchedulers(0, -1)) {
      const id = existing.key;
      if (id.startsWith(idPrefix) && !wanted.has(id)) await queue.removeJobScheduler(id);
    }
  }

  /**
   * Starts one worker per consumed queue. `consume` lists the queues this process works on
   * (its run mode); each needs a handler in `handlers`, and no handler may name a queue
   * outside the runtime. A queue's worker runs `concurrency[name]` jobs at once, else its
   * declaration's concurrency.
   */
  startWorkers(
    handlers: HandlerTable,
    consume: readonly QueueDefinition[],
    concurrency: Readonly<Partial<Record<string, number>>> = {},
  ): Worker[] {
    const undeclared = Object.keys(handlers).filter((name) => !this.#definitions.has(name));
    if (undeclared.length > 0)
      throw new QueueConfigurationError(
        `a handler is registered for undeclared queue(s): ${undeclared.join(', ')}`,
      );
    const missing = consume.filter((d) => !Object.hasOwn(handlers, d.name)).map((d) => d.name);
    if (missing.length > 0)
      throw new QueueConfigurationError(`no handler for consumed queue(s): ${missing.join(', ')}`);

    const lockDurationMs = this.#tuning.lockDurationMs ?? 30_000;
    const started = consume.map((definition) => {
      const handler = handlers[definition.name] as Handler<QueueDefinition>;
      const worker = new Worker(
        definition.name,
        async (job, token, workerSignal) => {
          const started = performance.now();
          const finished = (
            result: 'completed' | 'failed' | 'cancelled' | 'delayed',
            final: boolean,
          ) =>
            this.#observer?.attemptFinished({
              queue: definition.name,
              result,
              seconds: (performance.now() - started) / 1000,
              final,
            });
          const key = `${definition.name}\u0000${job.id ?? ''}`;
          const cancel = new AbortController();
          this.#running.set(key, cancel);
          // A worker that cannot prove it still holds the job's lock stops the handler: once
          // the lock has expired, another worker's stalled check hands the job to that worker,
          // and two handlers of one job would write the same staging files at once.
          const lease = this.#lockLease(definition.name, job.id ?? '', cancel, lockDurationMs);
          // BullMQ's own signal (worker.cancelJob) ends the job's handler too.
          const signal = workerSignal
            ? AbortSignal.any([cancel.signal, workerSignal])
            : cancel.signal;
          try {
            const value = await invokeHandler(definition, handler, job.data, {
              jobId: job.id ?? '',
              attempt: job.attemptsMade + 1,
              queue: definition.name,
              progress: (value) => job.updateProgress(withRing(value)),
              signal,
            });
            finished('completed', false);
            return value;
          } catch (error) {
            if (cancel.signal.aborted) {
              // Cut short by a shutdown, whatever the handler threw on its way out: the job
              // goes back to wait as if never taken - no attempt counted, no backoff - and
              // any worker takes it over at once. WaitingError tells BullMQ it was moved.
              await this.#putBack(definition.name, job, token, error);
              finished('cancelled', false);
              throw new WaitingError();
            }
            if (error instanceof FinalFailure) {
              finished('failed', true);
              throw new UnrecoverableError(error.message);
            }
            if (error instanceof RunLater) {
              // back to delayed, its attempts as they were; DelayedError tells BullMQ it moved
              await job.moveToDelayed(Date.now() + error.delayMs, token);
              this.#logger?.info(
                { queue: definition.name, jobId: job.id, delaySeconds: error.delayMs / 1000 },
                `job runs again later: ${error.message}`,
              );
              finished('delayed', false);
              throw new DelayedError();
            }
            finished('failed', job.attemptsMade + 1 >= (job.opts.attempts ?? 1));
            throw error;
          } finally {
            lease.stop();
            this.#running.delete(key);
          }
        },
        {
          connection: this.#connection,
          prefix: this.prefix,
          concurrency: concurrency[definition.name] ?? definition.concurrency,
          lockDuration: lockDurationMs,
          stalledInterval: this.#tuning.stalledIntervalMs ?? this.#tuning.lockDurationMs ?? 30_000,
          // A node drain or an OOM kill may interrupt the same long upload more than once.
          maxStalledCount: this.#tuning.maxStalledCount ?? 3,
        },
      );
      worker.on('failed', (job, error) =>
        this.#logger?.warn(
          {
            queue: definition.name,
            jobId: job?.id,
            attempt: job?.attemptsMade,
            err: error.message,
          },
          'job failed',
        ),
      );
      // BullMQ found the lock gone or another worker's (Redis lost it, or it expired during
      // an outage and the job was recovered elsewhere): stop now, not at the next deadline.
      worker.on('lockRenewalFailed', (jobIds: string[]) => {
        for (const jobId of jobIds)
          this.#leases.get(`${definition.name}\u0000${jobId}`)?.lost('its renewal was refused');
      });
      worker.on('locksRenewed', ({ jobIds }: { jobIds: string[] }) => {
        for (const jobId of jobIds) this.#leases.get(`${definition.name}\u0000${jobId}`)?.renewed();
      });
      worker.on('error', (error) =>
        this.#logger?.error({ queue: definition.name, err: error.message }, 'worker error'),
      );
      return worker;
    });
    this.#workers.push(...started);
    return started;
  }

  /**
   * Watches the lock of one running job. The lock lasts `lockDurationMs` from its last
   * renewal; when no renewal succeeded for that long less a margin (Redis unreachable, the
   * event loop starved), or BullMQ reports the renewal refused, the job's handler is
   * cancelled with a JobCancelled that says so. The margin makes this worker stop before
   * the lock can have expired in Redis, so it never works on beside the worker that takes
   * the job over.
   */
  #lockLease(queue: string, jobId: string, cancel: AbortController, lockDurationMs: number) {
    const key = `${queue}\u0000${jobId}`;
    const margin = Math.min(2_000, lockDurationMs / 5);
    let renewedAt = performance.now();
    const lost = (why: string) => {
      if (cancel.signal.aborted) return;
      this.#logger?.warn({ queue, jobId, why }, 'job lock lost: stopping its handler');
      cancel.abort(
        new JobCancelled(
          `lost the lock of job ${jobId} of queue ${queue} (${why}): another worker may take it over`,
        ),
      );
    };
    const watchdog = setInterval(
      () => {
        const silent = performance.now() - renewedAt;
        if (silent >= lockDurationMs - margin)
          lost(`no renewal for ${Math.round(silent)} ms of a ${lockDurationMs} ms lock`);
      },
      Math.max(50, Math.min(1_000, margin / 2)),
    );
    watchdog.unref();
    const lease = {
      renewed: () => (renewedAt = performance.now()),
      lost,
      stop: () => {
        clearInterval(watchdog);
        this.#leases.delete(key);
      },
    };
    this.#leases.set(key, lease);
    return lease;
  }

  /**
   * The clock: what BullMQ otherwise does only inside a running worker of a queue, done for
   * every declared queue without running any handler, so the workers may all be stopped
   * (scaled to zero) while nothing is ready to run:
   *
   * - every `intervalMs`, delayed jobs that are due (retries that waited out their backoff,
   *   the next occurrence of a job scheduler) are moved to `wait` (or `prioritized`), which
   *   is what an external autoscaler counts to start a worker;
   * - BullMQ's stalled-job check runs at the workers' `stalledIntervalMs`: a job left active
   *   by a worker that died goes back to `wait` once its lock expired (or to failed after
   *   `maxStalledCount` recoveries, as with a worker).
   *
   * Any number of processes may run a clock beside any number of workers: each promotion is
   * BullMQ's atomic `promote` script (a job a worker promoted first is skipped), and the
   * stalled check runs at most once per interval per queue, whoever asks (BullMQ guards it
   * with its `stalled-check` key). The next occurrence of a schedule is still created by the
   * worker that takes the current one, as BullMQ does.
   */
  startClock(options: ClockOptions = {}): void {
    if (this.#clockTimer) throw new QueueConfigurationError('the clock is already running');
    const intervalMs = options.intervalMs ?? 5000;
    for (const definition of this.#definitions.values()) {
      // No processor: BullMQ's documented way to run the stalled checker alone ("manually
      // fetching jobs"); this worker never takes a job.
      // Redis lists its connection among the queue's workers (getWorkers, Bull Board) under
      // the name `clock`.
      const checker = new Worker(definition.name, undefined, {
        name: 'clock',
        connection: this.#connection,
        prefix: this.prefix,
        autorun: false,
        lockDuration: this.#tuning.lockDurationMs ?? 30_000,
        stalledInterval: this.#tuning.stalledIntervalMs ?? this.#tuning.lockDurationMs ?? 30_000,
        maxStalledCount: this.#tuning.maxStalledCount ?? 3,
      });
      checker.on('stalled', (jobId) =>
        this.#logger?.warn(
          { queue: definition.name, jobId },
          'clock: a stalled job (its worker died) is back in its queue',
        ),
      );
      checker.on('error', (error) =>
        this.#logger?.error({ queue: definition.name, err: error.message }, 'clock error'),
      );
      void checker.startStalledCheckTimer();
      this.#clockWorkers.push(checker);
    }
    const round = async () => {
      for (const definition of this.#definitions.values()) {
        try {
          const promoted = await this.promoteDueJobs(definition);
          if (promoted > 0) {
            this.#logger?.info({ queue: definition.name, promoted }, 'clock: due jobs ready');
            options.onTick?.({ queue: definition.name, promoted });
          }
        } catch (error) {
          this.#logger?.warn(
            { queue: definition.name, err: (error as Error).message },
            'clock: could not move due jobs; retrying',
          );
        }
      }
    };
    const tick = () => {
      this.#clockRound = round().finally(() => {
        if (this.#clockTimer) this.#clockTimer = setTimeout(tick, intervalMs);
      });
    };
    this.#clockTimer = setTimeout(tick, 0);
  }

  /**
   * Moves the delayed jobs of a queue that are due now to `wait` (or `prioritized`, as
   * their priority says); returns how many. BullMQ orders its `delayed` sorted set by
   * `due time in ms * 0x1000 + a counter` (the score its own promoteDelayedJobs script reads
   * with the same bound), so only jobs whose time has come are read; each is moved with
   * BullMQ's `promote` script, which also wakes any worker waiting on the queue.
   */
  async promoteDueJobs(definition: QueueDefinition, now = Date.now()): Promise<number> {
    const queue = this.queue(definition);
    const client = await queue.client;
    const bound = (now + 1) * 0x1000 - 1;
    const due: string[] = [];
    // the sorted set ascends by score: the due jobs are its head
    for (let offset = 0; due.length < 1000; offset += 100) {
      const page = await client.zrange(queue.toKey('delayed'), offset, offset + 99, {
        WITHSCORES: true,
      });
      let past = false;
      for (let i = 0; i + 1 < page.length; i += 2) {
        if (Number(page[i + 1]) > bound) {
          past = true;
          break;
        }
        due.push(page[i] ?? '');
      }
      if (past || page.length < 200) break;
    }
    let promoted = 0;
    for (const id of due) {
      const job = await Job.fromId(queue, id);
      if (!job) continue;
      try {
        await job.promote();
        promoted += 1;
      } catch (error) {
        // a worker (or another clock) moved it first: nothing left to do
        if (await job.isDelayed()) throw error;
      }
    }
    return promoted;
  }

  async #stopClock(): Promise<void> {
    const timer = this.#clockTimer;
    this.#clockTimer = undefined;
    clearTimeout(timer);
    // a round waiting for an unreachable Redis is not waited for: it moves nothing more
    if (this.#clockRound) await settlesWithin(this.#clockRound, DEFAULT_UNWIND_MS);
    await Promise.all(this.#clockWorkers.map((worker) => worker.close()));
    this.#clockWorkers.length = 0;
  }

  /** Moves a cancelled job from active back to wait (the lock is still this worker's). */
  async #putBack(
    queue: string,
    job: { id?: string | undefined; moveToWait(token?: string): Promise<number> },
    token: string | undefined,
    cause: unknown,
  ): Promise<void> {
    try {
      await job.moveToWait(token);
      this.#cancelled += 1;
      this.#logger?.info(
        { queue, jobId: job.id, err: (cause as Error | undefined)?.message },
        'job cancelled by shutdown: back in the queue',
      );
    } catch (error) {
      // The lock was lost or Redis is gone: the job stays active until its lock expires,
      // then another worker's stalled check recovers it. Still not a failure.
      this.#logger?.warn(
        { queue, jobId: job.id, err: (error as Error).message },
        'cancelled job not put back: it is recovered once its lock expires',
      );
    }
  }

  /**
   * Stops taking jobs, waits for active ones to finish, closes every connection. With a
   * deadline, the jobs still running when it passes are cancelled: their handlers' signals
   * are aborted and, once a handler has stopped, its job is put back in its queue (not
   * failed, no attempt counted) for any worker to take over. A handler that has not stopped
   * after `unwindMs` is left behind and counted as abandoned: the caller exits the process,
   * the job's lock expires and another worker recovers it (never lost; the handlers are
   * idempotent).
   */
  async close(deadlineMs?: number, options: CloseOptions = {}): Promise<CloseResult> {
    const cancelledBefore = this.#cancelled;
    const closing = Promise.all(this.#workers.map((worker) => worker.close()));
    if (deadlineMs !== undefined && (await settlesWithin(closing, deadlineMs)) === 'timeout') {
      const reason = new JobCancelled(
        `shutting down: the drain deadline of ${deadlineMs} ms passed`,
      );
      for (const cancel of this.#running.values()) cancel.abort(reason);
      const unwound = await settlesWithin(closing, options.unwindMs ?? DEFAULT_UNWIND_MS);
      if (unwound === 'timeout') {
        return { cancelled: this.#cancelled - cancelledBefore, abandoned: this.#running.size };
      }
    }
    await closing;
    await this.#stopClock();
    await Promise.all([...this.#queues.values()].map((queue) => queue.close()));
    this.#workers.length = 0;
    this.#queues.clear();
    return { cancelled: this.#cancelled - cancelledBefore, abandoned: 0 };
  }
}

/** Whether `promise` settles within `ms` (a rejection counts as settled: close() rethrows it). */
async function settlesWithin(
  promise: Promise<unknown>,
  ms: number,
): Promise<'settled' | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ms);
  });
  try {
    return await Promise.race([
      promise.then(
        () => 'settled' as const,
        () => 'settled' as const,
      ),
      timedOut,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Bull Board draws a job's progress ring from a number, or from an object's numeric
 * `progress`: a report of `bytes` done of `total` gets that percentage, whatever the stage.
 */
export function withRing(
  value: number | Record<string, number | string>,
): number | Record<string, number | string> {
  if (typeof value === 'number' || value.progress !== undefined) return value;
  const { bytes, total } = value;
  if (typeof bytes !== 'number' || typeof total !== 'number' || total <= 0) return value;
  return { ...value, progress: Math.floor((bytes / total) * 100) };
}
