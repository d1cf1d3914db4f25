// An HTTP proxy in front of a real service that can be down for a while: answering 503 (a
// rolling restart behind a load balancer, an overloaded API), 500 (a failing backend), or
// resetting every connection (the service unreachable). Everything else passes through,
// streamed both ways (uploads included).
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** How the service is down: `503` (with Retry-After: 1), `500`, or `reset` (connection destroyed). */
export type OutageAnswer = '503' | '500' | 'reset';

export interface FaultProxy {
  readonly url: string;
  /** Be down for the next `ms` milliseconds: every request gets `answer` (default 503). */
  outage(ms: number, answer?: OutageAnswer): void;
  /** Requests the proxy failed (any answer), and requests passed through. */
  readonly counts: {
    unavailable: number;
    passed: number;
    /** Requests failed, by method. */
    unavailableByMethod: Record<string, number>;
  };
  close(): Promise<void>;
}

export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const upstream = new URL(target);
  let outageUntil = 0;
  let outageAnswer: OutageAnswer = '503';
  const counts = { unavailable: 0, passed: 0, unavailableByMethod: {} as Record<string, number> };
  const server: Server = createServer((req, res) => {
    if (Date.now() < outageUntil) {
      counts.unavailable += 1;
      const method = req.method ?? '?';
      counts.unavailableByMethod[method] = (counts.unavailableByMethod[method] ?? 0) + 1;
      req.resume();
      if (outageAnswer === 'reset') {
        req.socket.destroy();
        return;
      }
      if (outageAnswer === '500') {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end('500 Internal Server Error (fault proxy)\n');
        return;
      }
      res.writeHead(503, { 'retry-after': '1', 'content-type': 'text/plain' });
      res.end('503 Service Unavailable (fault proxy)\n');
      return;
    }
    counts.passed += 1;
    const forward = request(
      {
        protocol: upstream.protocol,
        hostname: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: `${upstream.pathname.replace(/\/$/, '')}${req.url ?? '/'}`,
        headers: { ...req.headers, host: upstream.host },
      },
      (reply: IncomingMessage) => {
        res.writeHead(reply.statusCode ?? 502, reply.headers);
        reply.pipe(res);
      },
    );
    forward.on('error', () => res.destroy());
    req.on('aborted', () => forward.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    outage(ms, answer = '503') {
      outageUntil = Date.now() + ms;
      outageAnswer = answer;
    },
    counts,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
