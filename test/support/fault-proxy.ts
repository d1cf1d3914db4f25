// An HTTP proxy in front of a real service that can answer 503 for a while: the outage a
// rolling Glance restart or an overloaded API produces. Everything else passes through,
// streamed both ways (uploads included).
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FaultProxy {
  readonly url: string;
  /** Answer 503 (Retry-After: 1) to every request for the next `ms` milliseconds. */
  outage(ms: number): void;
  /** Requests answered 503 by the proxy, and requests passed through. */
  readonly counts: {
    unavailable: number;
    passed: number;
    /** 503s answered, by method. */
    unavailableByMethod: Record<string, number>;
  };
  close(): Promise<void>;
}

export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const upstream = new URL(target);
  let outageUntil = 0;
  const counts = { unavailable: 0, passed: 0, unavailableByMethod: {} as Record<string, number> };
  const server: Server = createServer((req, res) => {
    if (Date.now() < outageUntil) {
      counts.unavailable += 1;
      const method = req.method ?? '?';
      counts.unavailableByMethod[method] = (counts.unavailableByMethod[method] ?? 0) + 1;
      req.resume();
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
    outage(ms) {
      outageUntil = Date.now() + ms;
    },
    counts,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
