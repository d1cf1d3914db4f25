// /readyz: every dependency a process needs answers within 5 s, or 503 with each one's
// state - 'ok' or why not - so `kubectl describe pod` says which one is down.
import type { FastifyInstance } from 'fastify';

export interface Probe {
  name: string;
  check(): Promise<unknown>;
}

export function registerReadiness(server: FastifyInstance, probes: readonly Probe[]): void {
  server.get('/readyz', async (_request, reply) => {
    const results = await Promise.all(
      probes.map(async (probe) => {
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error('no answer in 5 s')), 5000);
        });
        try {
          await Promise.race([probe.check(), timeout]);
          return [probe.name, 'ok'] as const;
        } catch (error) {
          return [probe.name, (error as Error).message] as const;
        } finally {
          clearTimeout(timer);
        }
      }),
    );
    const ready = results.every(([, state]) => state === 'ok');
    return reply.code(ready ? 200 : 503).send({
      status: ready ? 'ready' : 'not ready',
      checks: Object.fromEntries(results),
    });
  });
}
