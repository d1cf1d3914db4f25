// A Keystone v3 session: obtains a token (password or application credential), caches
// it and renews it before it expires, picks endpoints from the token's catalogue by
// service type, region and interface, and sends authenticated requests - re-authenticating
// once and repeating the request when a service answers 401. A request whose body is streamed
// (a Readable or a file) is never repeated: its caller hears a StreamRefusedError and sends
// it again from the start.
import type { CloudConfig, Interface } from './cloud-config.ts';
import {
  AuthError,
  OpenStackError,
  OpenStackHttpError,
  type ServiceName,
  StreamRefusedError,
} from './errors.ts';
import { headerOf, parseJson, type Reply, type RequestSpec, type Transport } from './transport.ts';

interface CatalogEndpoint {
  interface: string;
  region_id?: string | null;
  region?: string | null;
  url: string;
}
interface CatalogEntry {
  type: string;
  name?: string;
  endpoints: CatalogEndpoint[];
}
interface TokenBody {
  token: {
    expires_at: string;
    catalog?: CatalogEntry[];
    project?: { id: string; name: string };
    user: { id: string; name: string };
    roles?: { name: string }[];
  };
}

export interface Token {
  value: string;
  expiresAt: number;
  issuedAt: number;
  projectId: string | undefined;
  userId: string;
  roles: string[];
  catalog: CatalogEntry[];
}

/** Service types by which the catalogue may list each service, preferred first. */
const SERVICE_TYPES: Record<ServiceName, readonly string[]> = {
  identity: ['identity'],
  image: ['image'],
  compute: ['compute'],
  'block-storage': ['block-storage', 'volumev3', 'volume'],
};

export interface SessionOptions {
  /** Renew when less than this remains (default 10 minutes, at most half the token's life). */
  renewBeforeMs?: number;
  now?: () => number;
}

export class Session {
  readonly config: CloudConfig;
  readonly #transport: Transport;
  readonly #renewBeforeMs: number;
  readonly #now: () => number;
  #token: Token | undefined;
  #pending: Promise<Token> | undefined;

  constructor(config: CloudConfig, transport: Transport, options: SessionOptions = {}) {
    this.config = config;
    this.#transport = transport;
    this.#renewBeforeMs = options.renewBeforeMs ?? 10 * 60_000;
    this.#now = options.now ?? Date.now;
    const auth = config.auth;
    transport.redactor.add(auth.type === 'password' ? auth.password : auth.secret);
  }

  /** A valid token, issuing a new one when none is cached or it is about to expire. */
  async token(): Promise<Token> {
    const current = this.#token;
    if (current && !this.#expiring(current)) return current;
    // One request in flight, however many callers ask at once.
    this.#pending ??= this.#issue().finally(() => {
      this.#pending = undefined;
    });
    return this.#pending;
  }

  /** Forget a token a service refused, so the next call issues a new one. */
  invalidate(token: Token): void {
    if (this.#token === token) this.#token = undefined;
  }

  #expiring(token: Token): boolean {
    const margin = Math.min(this.#renewBeforeMs, (token.expiresAt - token.issuedAt) / 2);
    return this.#now() >= token.expiresAt - margin;
  }

  async #issue(): Promise<Token> {
    const url = `${identityBase(this.config.auth.authUrl)}/auth/tokens`;
    let reply: Reply;
    try {
      reply = await this.#transport.request({
        service: 'identity',
        method: 'POST',
        url,
        json: this.#authBody(),
        expect: [201],
        repeatable: true, // issuing a token has no side effect worth guarding
      });
    } catch (error) {
      if (error instanceof OpenStackHttpError && (error.status === 401 || error.status === 403)) {
        throw new AuthError(
          `${this.config.source}: Keystone refused the credentials: ${error.message}`,
        );
      }
      throw error;
    }
    const value = headerOf(reply.headers, 'x-subject-token');
    if (!value)
      throw new AuthError(`${this.config.source}: Keystone answered without X-Subject-Token`);
    this.#transport.redactor.add(value);
    const body = parseJson<TokenBody>(reply, `identity: POST ${url}`);
    const token: Token = {
      value,
      issuedAt: this.#now(),
      expiresAt: Date.parse(body.token.expires_at),
      projectId: body.token.project?.id,
      userId: body.token.user.id,
      roles: (body.token.roles ?? []).map((role) => role.name),
      catalog: body.token.catalog ?? [],
    };
    this.#token = token;
    return token;
  }

  #authBody(): unknown {
    const auth = this.config.auth;
    const domain = (name: string | undefined, id: string | undefined) =>
      id ? { id } : name ? { name } : undefined;
    const user = (a: {
      username?: string | undefined;
      userId?: string | undefined;
      userDomainName?: string | undefined;
      userDomainId?: string | undefined;
    }) =>
      a.userId
        ? { id: a.userId }
        : {
            name: a.username,
            domain: domain(a.userDomainName, a.userDomainId) ?? { id: 'default' },
          };

    if (auth.type === 'application-credential') {
      const credential = auth.id
        ? { id: auth.id, secret: auth.secret }
        : { name: auth.name, secret: auth.secret, user: user(auth) };
      return {
        auth: {
          identity: { methods: ['application_credential'], application_credential: credential },
        },
      };
    }
    const scope = auth.projectId
      ? { project: { id: auth.projectId } }
      : auth.projectName
        ? {
            project: {
              name: auth.projectName,
              domain: domain(auth.projectDomainName, auth.projectDomainId) ?? { id: 'default' },
            },
          }
        : undefined;
    return {
      auth: {
        identity: {
          methods: ['password'],
          password: { user: { ...user(auth), password: auth.password } },
        },
        ...(scope ? { scope } : {}),
      },
    };
  }

  /** The endpoint URL of a service from the catalogue, for the configured region and interface. */
  async endpoint(service: ServiceName): Promise<string> {
    const override = service === 'identity' ? undefined : this.config.endpointOverrides?.[service];
    if (override) return override.replace(/\/+$/, '');
    const token = await this.token();
    return selectEndpoint(
      token.catalog,
      service,
      this.config.regionName,
      this.config.interface,
      this.config.source,
    );
  }

  /**
   * An authenticated request. A 401 drops the token; a request without a streamed body is
   * then repeated once with a new one, a streamed one (Readable or file) is not: it throws a
   * StreamRefusedError, and its caller sends it again from the start with a fresh body.
   */
  async request(spec: RequestSpec): Promise<Reply> {
    const streamed = spec.body !== undefined || spec.file !== undefined;
    for (let attempt = 1; ; attempt += 1) {
      const token = await this.token();
      try {
        return await this.#transport.request({
          ...spec,
          headers: { ...spec.headers, 'x-auth-token': token.value },
        });
      } catch (error) {
        if (error instanceof OpenStackHttpError && error.status === 401 && attempt === 1) {
          this.invalidate(token);
          if (streamed) throw new StreamRefusedError(error);
          continue;
        }
        throw error;
      }
    }
  }
}

function identityBase(authUrl: string): string {
  const trimmed = authUrl.replace(/\/+$/, '');
  return /\/v3$/.test(trimmed) ? trimmed : `${trimmed}/v3`;
}

export function selectEndpoint(
  catalog: readonly CatalogEntry[],
  service: ServiceName,
  region: string | undefined,
  iface: Interface,
  source: string,
): string {
  const types = SERVICE_TYPES[service];
  const regionOf = (endpoint: CatalogEndpoint) => endpoint.region_id ?? endpoint.region ?? '';
  for (const type of types) {
    const entry = catalog.find((candidate) => candidate.type === type);
    if (!entry) continue;
    const matches = entry.endpoints.filter(
      (endpoint) => endpoint.interface === iface && (!region || regionOf(endpoint) === region),
    );
    const regions = [...new Set(matches.map(regionOf))];
    // Without a region, several regions' endpoints are a guess this system must not make:
    // an image uploaded to the wrong region is an image missing from the right one.
    if (!region && regions.length > 1) {
      throw new AuthError(
        `${source}: the catalogue offers ${service} in several regions (${regions.join(', ')}): ` +
          'set region_name (or OS_REGION_NAME) to choose one',
      );
    }
    const match = matches[0];
    if (match) return match.url.replace(/\/+$/, '');
  }
  const offered = catalog
    .filter((entry) => types.includes(entry.type))
    .flatMap((entry) =>
      entry.endpoints.map((e) => `${entry.type}/${e.interface}/${e.region_id ?? e.region ?? '-'}`),
    );
  throw new AuthError(
    `${source}: the catalogue has no ${service} endpoint for interface "${iface}"` +
      (region ? ` in region "${region}"` : '') +
      (offered.length ? ` (it offers ${offered.join(', ')})` : ''),
  );
}

export { OpenStackError };
