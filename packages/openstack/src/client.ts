// The entry point: one authenticated session per cloud, with its service clients.
import { type CloudConfig, type ResolveOptions, resolveCloudConfig } from './cloud-config.ts';
import { CinderClient } from './cinder.ts';
import { GlanceClient } from './glance.ts';
import type { Logger } from './logger.ts';
import { NovaClient } from './nova.ts';
import { Redactor } from './redact.ts';
import type { RetryPolicy } from './retry.ts';
import { Session, type SessionOptions } from './session.ts';
import { type RequestObserver, Transport } from './transport.ts';

export interface ConnectOptions extends ResolveOptions {
  /** Use this configuration instead of resolving clouds.yaml / OS_* variables. */
  config?: CloudConfig;
  logger?: Logger;
  retry?: Partial<RetryPolicy>;
  session?: SessionOptions;
  userAgent?: string;
}

export class OpenStackClient {
  readonly session: Session;
  readonly glance: GlanceClient;
  readonly nova: NovaClient;
  readonly cinder: CinderClient;
  readonly #transport: Transport;

  private constructor(
    session: Session,
    transport: Transport,
    clients?: { glance: GlanceClient; nova: NovaClient; cinder: CinderClient },
  ) {
    this.session = session;
    this.#transport = transport;
    this.glance = clients?.glance ?? new GlanceClient(session);
    this.nova = clients?.nova ?? new NovaClient(session);
    this.cinder = clients?.cinder ?? new CinderClient(session);
  }

  /**
   * The same client - one session, one token, one transport - whose every request and wait
   * ends when `signal` is aborted (a job's signal: a shutdown cancels what it is doing).
   */
  withSignal(signal: AbortSignal): OpenStackClient {
    return new OpenStackClient(this.session, this.#transport, {
      glance: this.glance.withSignal(signal),
      nova: this.nova.withSignal(signal),
      cinder: this.cinder.withSignal(signal),
    });
  }

  /** Builds the client; no request is made until the first call needs a token. */
  static connect(options: ConnectOptions = {}): OpenStackClient {
    const config = options.config ?? resolveCloudConfig(options);
    const transport = new Transport({
      verify: config.verify,
      cacert: config.cacert,
      clientCert: config.clientCert,
      clientKey: config.clientKey,
      redactor: new Redactor(),
      ...(options.logger ? { logger: options.logger } : {}),
      ...(options.retry ? { retry: options.retry } : {}),
      userAgent: options.userAgent ?? 'imagecycle',
    });
    return new OpenStackClient(new Session(config, transport, options.session), transport);
  }

  /**
   * Calls `observer` after every HTTP attempt this client makes - Keystone, Glance, Nova,
   * Cinder, retries included - with its service, method, path, status and duration (never a
   * header or a body). Returns the way to stop observing.
   */
  observe(observer: RequestObserver): () => void {
    return this.#transport.observe(observer);
  }

  /** The project the session is scoped to (the owner of images it creates). */
  async projectId(): Promise<string> {
    const token = await this.session.token();
    if (!token.projectId)
      throw new Error(`${this.session.config.source}: the token is not scoped to a project`);
    return token.projectId;
  }
}
