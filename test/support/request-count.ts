// Counting a client's HTTP requests from the outside: a test observes the client for a
// while and asks how many attempts matched (a service, a method, a status). The observer
// hears no header and no body, so nothing counted here can carry a token.
import type { OpenStackClient, RequestInfo } from '@imagecycle/openstack';

export type RequestMatch = Partial<Pick<RequestInfo, 'service' | 'method' | 'status'>>;

export interface RequestCount {
  /** Attempts seen since the count began, only those matching every given field. */
  of(match?: RequestMatch): number;
  readonly seen: readonly RequestInfo[];
  /** Stops observing; `of` still answers for what was seen. */
  stop(): void;
}

export function countRequests(client: OpenStackClient): RequestCount {
  const seen: RequestInfo[] = [];
  const stop = client.observe((info) => seen.push(info));
  return {
    seen,
    of: (match = {}) =>
      seen.filter((info) =>
        Object.entries(match).every(([key, value]) => info[key as keyof RequestMatch] === value),
      ).length,
    stop,
  };
}
