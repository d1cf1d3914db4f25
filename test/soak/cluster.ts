// The imagecycle processes of a split deployment: one `imagecycle worker <stage>` child per
// replica slot, started, killed, drained and restarted as the soak's faults demand. Every
// change to a slot is serialized, so a SIGKILL and a rolling restart of the same replica
// never interleave. A process that exits without the soak having asked for it is recorded:
// a worker that dies on its own is a finding, not noise.
import type { WorkerName } from '@imagecycle/composition';
import type { Failpoint, FailpointMode } from '@imagecycle/failpoints';
import { exitOf, type RunningProcess, startImagecycle } from '../support/processes.ts';
import type { WorkerRef } from './plan.ts';

interface Armed {
  point: Failpoint;
  mode: FailpointMode;
}

interface Slot {
  stage: WorkerName;
  replica: number;
  proc: RunningProcess | undefined;
  armed: Armed | undefined;
  /** The soak ended this process itself (a signal it sent, or a failpoint it armed). */
  expected: boolean;
  chain: Promise<unknown>;
}

export interface UnexpectedExit {
  worker: string;
  code: number | null;
  signal: NodeJS.Signals | null;
  stderrTail: string;
}

export interface ClusterOptions {
  replicas: Readonly<Record<WorkerName, number>>;
  /** The environment of a process about to start in this slot (its clock, its drain deadline). */
  envFor(stage: WorkerName): NodeJS.ProcessEnv;
  log(line: string): void;
}

const label = (slot: Pick<Slot, 'stage' | 'replica'>) => `${slot.stage}#${slot.replica}`;

export class Cluster {
  readonly #options: ClusterOptions;
  readonly #slots: Slot[] = [];
  readonly unexpectedExits: UnexpectedExit[] = [];
  /**
   * Every process started, how many of them the soak killed with SIGKILL, died at a failpoint
   * or drained, and the job attempts that failed at a failpoint armed `=error`.
   */
  readonly counts = { started: 0, killed: 0, failpointsFired: 0, failpointErrors: 0, drained: 0 };

  constructor(options: ClusterOptions) {
    this.#options = options;
    for (const [stage, count] of Object.entries(options.replicas) as [WorkerName, number][])
      for (let replica = 0; replica < count; replica++)
        this.#slots.push({
          stage,
          replica,
          proc: undefined,
          armed: undefined,
          expected: false,
          chain: Promise.resolve(),
        });
  }

  #slot(ref: WorkerRef): Slot {
    const slot = this.#slots.find((s) => s.stage === ref.stage && s.replica === ref.replica);
    if (!slot) throw new Error(`no worker ${label(ref)}`);
    return slot;
  }

  /** Runs `work` on the slot after whatever is already being done to it. */
  #serial<T>(slot: Slot, work: () => Promise<T>): Promise<T> {
    const next = slot.chain.then(work, work);
    slot.chain = next.catch(() => undefined);
    return next;
  }

  static #alive(slot: Slot): boolean {
    const child = slot.proc?.child;
    return child !== undefined && child.exitCode === null && child.signalCode === null;
  }

  #start(slot: Slot, armed?: Armed): void {
    const env = {
      ...this.#options.envFor(slot.stage),
      ...(armed ? { IMAGECYCLE_FAILPOINTS: `${armed.point}=${armed.mode}` } : {}),
    };
    const proc = startImagecycle(['worker', slot.stage], env, `worker ${label(slot)}`);
    slot.proc = proc;
    slot.armed = armed;
    slot.expected = false;
    this.counts.started += 1;
    void proc.exited.then((exit) => {
      if (armed?.mode === 'error') {
        const failed = proc.stderr().split(`failpoint ${armed.point}: error\n`).length - 1;
        this.counts.failpointErrors += failed;
        if (failed > 0)
          this.#options.log(
            `    ${label(slot)} failed ${failed} job attempt(s) at failpoint ${armed.point}=error`,
          );
      }
      if (slot.proc !== proc) return;
      const fired =
        armed?.mode === 'kill' && proc.stderr().includes(`failpoint ${armed.point}: SIGKILL`);
      if (fired) {
        this.counts.failpointsFired += 1;
        this.#options.log(`    ${label(slot)} reached failpoint ${armed.point} and died (SIGKILL)`);
        return;
      }
      if (slot.expected) return;
      const tail = proc.stderr().split('\n').slice(-15).join('\n');
      this.unexpectedExits.push({
        worker: label(slot),
        code: exit.code,
        signal: exit.signal,
        stderrTail: tail,
      });
      this.#options.log(
        `    ${label(slot)} exited on its own (code ${exit.code}, signal ${exit.signal}):\n${tail}`,
      );
    });
  }

  /** Starts every replica of every stage. */
  startAll(): void {
    for (const slot of this.#slots) this.#start(slot);
  }

  /** SIGKILL, as a node failure: no drain, no cleanup. The slot stays empty until restore(). */
  sigkill(ref: WorkerRef): Promise<void> {
    const slot = this.#slot(ref);
    return this.#serial(slot, async () => {
      if (!Cluster.#alive(slot)) return;
      slot.expected = true;
      slot.proc?.child.kill('SIGKILL');
      await slot.proc?.exited;
      this.counts.killed += 1;
    });
  }

  /** SIGTERM: the worker drains within its deadline and exits; a new one takes its place. */
  sigterm(ref: WorkerRef, graceMs: number): Promise<void> {
    const slot = this.#slot(ref);
    return this.#serial(slot, async () => {
      await this.#stop(slot, graceMs);
      this.#start(slot);
    });
  }

  async #stop(slot: Slot, graceMs: number): Promise<void> {
    if (!Cluster.#alive(slot) || !slot.proc) return;
    slot.expected = true;
    const proc = slot.proc;
    proc.child.kill('SIGTERM');
    try {
      const exit = await exitOf(proc, graceMs);
      if (exit.code !== 0 && exit.signal === null)
        this.unexpectedExits.push({
          worker: label(slot),
          code: exit.code,
          signal: exit.signal,
          stderrTail: proc.stderr().split('\n').slice(-15).join('\n'),
        });
      this.counts.drained += 1;
    } catch {
      // it did not leave within its drain deadline and a margin: that is a finding too
      this.unexpectedExits.push({
        worker: label(slot),
        code: null,
        signal: null,
        stderrTail: `still running ${graceMs} ms after SIGTERM; killed\n${proc.stderr().split('\n').slice(-10).join('\n')}`,
      });
      proc.child.kill('SIGKILL');
      await proc.exited;
    }
  }

  /** A graceful restart (SIGTERM, wait, start): a rollout, or a new clock. */
  restart(ref: WorkerRef, graceMs: number): Promise<void> {
    return this.sigterm(ref, graceMs);
  }

  /**
   * Replaces every replica of the stage with one armed with the failpoint: each kills itself
   * when it gets there, or (mode `error`) fails the job's attempt there each time.
   */
  async arm(
    stage: WorkerName,
    point: Failpoint,
    graceMs: number,
    mode: FailpointMode = 'kill',
  ): Promise<void> {
    await Promise.all(
      this.#slots
        .filter((slot) => slot.stage === stage)
        .map((slot) =>
          this.#serial(slot, async () => {
            await this.#stop(slot, graceMs);
            this.#start(slot, { point, mode });
          }),
        ),
    );
  }

  /**
   * Every slot has a live, unarmed worker again; with `keepFailing`, a live one armed `=error`
   * stays as it is (its jobs keep failing until it is restored without).
   */
  async restore(graceMs: number, options: { keepFailing?: boolean } = {}): Promise<void> {
    await Promise.all(
      this.#slots.map((slot) =>
        this.#serial(slot, async () => {
          if (Cluster.#alive(slot) && slot.armed === undefined) return;
          if (Cluster.#alive(slot) && options.keepFailing && slot.armed?.mode === 'error') return;
          if (Cluster.#alive(slot)) await this.#stop(slot, graceMs);
          this.#start(slot);
        }),
      ),
    );
  }

  /** Restarts the given stages' replicas (all by default), one after the other: a rollout. */
  async rollingRestart(graceMs: number, stages?: readonly WorkerName[]): Promise<void> {
    for (const slot of this.#slots.filter((s) => !stages || stages.includes(s.stage)))
      await this.#serial(slot, async () => {
        await this.#stop(slot, graceMs);
        this.#start(slot);
      });
  }

  refs(stage?: WorkerName): WorkerRef[] {
    return this.#slots
      .filter((s) => stage === undefined || s.stage === stage)
      .map(({ stage: st, replica }) => ({ stage: st, replica }));
  }

  /** Stops everything (SIGTERM, SIGKILL after `graceMs`). */
  async stopAll(graceMs: number): Promise<void> {
    await Promise.all(
      this.#slots.map((slot) =>
        this.#serial(slot, async () => {
          slot.expected = true;
          await slot.proc?.stop(graceMs);
        }),
      ),
    );
  }
}
