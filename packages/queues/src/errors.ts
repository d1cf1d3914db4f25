export class QueueConfigurationError extends Error {
  override name = 'QueueConfigurationError';
}

/** A payload that does not match its queue's schema: names the queue and every bad field. */
export class PayloadError extends Error {
  override name = 'PayloadError';
  readonly queue: string;
  constructor(queue: string, issues: { path: PropertyKey[]; message: string }[]) {
    super(
      `payload for queue "${queue}" is invalid: ` +
        issues
          .map((issue) => `${issue.path.map(String).join('.') || '(root)'}: ${issue.message}`)
          .join('; '),
    );
    this.queue = queue;
  }
}

/** The reason a job's signal is aborted when the process shuts down past its drain deadline. */
export class JobCancelled extends Error {
  override name = 'JobCancelled';
}

/**
 * Thrown by a handler whose job must not be retried: the job fails for good at once (the
 * failure stays visible like any other), whatever attempts it has left.
 */
export class FinalFailure extends Error {
  override name = 'FinalFailure';
}

/**
 * Thrown by a handler whose job cannot make progress now for a reason outside the work
 * itself (the cloud it writes to is unreachable): the job waits `delayMs` and runs again,
 * no attempt counted, so an outage of hours does not use up the retries meant for faults.
 */
export class RunLater extends Error {
  override name = 'RunLater';
  readonly delayMs: number;

  constructor(delayMs: number, message: string) {
    super(message);
    this.delayMs = delayMs;
  }
}
