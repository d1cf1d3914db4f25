// Which cloud account each stage uses (least privilege). Two accounts, both scoped to the
// service project that owns the managed images:
//   publish  writes that project's images and makes them public (uploader, renamer, janitor,
//            the reaper's deactivate and delete, and the usage-checker's record of use on the
//            images: last used, why kept)
//   usage    reads: the project's images and every project's servers and volumes
//            (usage-checker, the reaper's last usage check, the control plane and the
//            operator's read models)
// The downloader and the feed-watcher use neither: a process that consumes only their queues
// never reads clouds.yaml (the feed-watcher reads what is published from the record the
// renamer and the janitor keep in Redis). Each account's clouds.yaml entry is a setting (IMAGECYCLE_CLOUD_PUBLISH,
// IMAGECYCLE_CLOUD_USAGE), and so is the file it is in (IMAGECYCLE_CLOUD_PUBLISH_FILE,
// IMAGECYCLE_CLOUD_USAGE_FILE: one Secret per account in Kubernetes); unset, they are
// OS_CLOUD and the usual clouds.yaml, so a single-account deployment is configured as
// before, with one session shared by both.
import { dirname, join } from 'node:path';
import {
  downloadQueue,
  feedCheckQueue,
  janitorQueue,
  reapQueue,
  reconcileQueue,
  uploadQueue,
  usageCheckQueue,
} from '@imagecycle/contracts';
import type { Logger } from '@imagecycle/observability';
import { CloudConfigError, type ConnectOptions, OpenStackClient } from '@imagecycle/openstack';
import type { QueueDefinition } from '@imagecycle/queues';
import type { ComputeRegion } from '@imagecycle/inventory';
import type { Target } from '@imagecycle/series-catalogue';
import type { Settings } from './settings.ts';

export type CloudRole = 'publish' | 'usage';

/** The setting naming each account's clouds.yaml entry. */
export const CLOUD_SETTING = {
  publish: 'IMAGECYCLE_CLOUD_PUBLISH',
  usage: 'IMAGECYCLE_CLOUD_USAGE',
} as const satisfies Record<CloudRole, keyof Settings>;

/** The setting naming the clouds.yaml file of each account (unset: the usual search). */
export const CLOUD_FILE_SETTING = {
  publish: 'IMAGECYCLE_CLOUD_PUBLISH_FILE',
  usage: 'IMAGECYCLE_CLOUD_USAGE_FILE',
} as const satisfies Record<CloudRole, keyof Settings>;

/** The accounts each queue's handler uses: a process resolves only those of its queues. */
export const QUEUE_CLOUD_ROLES: Record<string, readonly CloudRole[]> = {
  [feedCheckQueue.name]: [],
  [downloadQueue.name]: [],
  [uploadQueue.name]: ['publish'],
  [reconcileQueue.name]: ['publish'],
  [usageCheckQueue.name]: ['publish', 'usage'],
  [reapQueue.name]: ['publish', 'usage'],
  [janitorQueue.name]: ['publish'],
};

/** The accounts the handlers of these queues use, each once. */
export function cloudRolesOf(queues: readonly QueueDefinition[]): CloudRole[] {
  const roles = new Set<CloudRole>();
  for (const queue of queues)
    for (const role of QUEUE_CLOUD_ROLES[queue.name] ?? []) roles.add(role);
  return [...roles].sort();
}

/**
 * The two accounts, each built when first asked for (reading clouds.yaml then, not before),
 * one client per distinct clouds.yaml entry. A configuration error names the setting.
 */
export class CloudAccounts {
  readonly #settings: Settings;
  readonly #logger: Logger;
  readonly #env: NodeJS.ProcessEnv;
  readonly #clients = new Map<string, OpenStackClient>();

  constructor(settings: Settings, logger: Logger, env: NodeJS.ProcessEnv) {
    this.#settings = settings;
    this.#logger = logger;
    this.#env = env;
  }

  /**
   * The clouds.yaml entry of the account (in a target: its own entry when it names one);
   * undefined: OS_CLOUD (or the only entry).
   */
  cloudName(role: CloudRole, target?: Target): string | undefined {
    const own = role === 'publish' ? target?.cloud : target?.usageCloud;
    return own ?? this.#settings[CLOUD_SETTING[role]] ?? (this.#env.OS_CLOUD || undefined);
  }

  /** Where the account's entry is read from: its own file, or undefined for the usual search. */
  files(role: CloudRole): Pick<ConnectOptions, 'configFiles' | 'secureFiles'> {
    const file = this.#settings[CLOUD_FILE_SETTING[role]];
    return file === undefined
      ? {}
      : { configFiles: [file], secureFiles: [join(dirname(file), 'secure.yaml')] };
  }

  /**
   * The account, in the target's region when it names one (else the entry's own). `region`
   * asks for another region of the same account: a compute region that boots from the
   * target's Glance.
   */
  get(role: CloudRole, target?: Target, region = target?.region): OpenStackClient {
    const name = this.cloudName(role, target);
    const files = this.files(role);
    const own = role === 'publish' ? target?.cloud : target?.usageCloud;
    const setting =
      own !== undefined
        ? `target "${target?.name}" ${role === 'publish' ? 'cloud' : 'usageCloud'}`
        : `${CLOUD_SETTING[role]}, else OS_CLOUD`;
    return this.#connect(
      `${files.configFiles?.[0] ?? ''}\n${name ?? ''}\n${region ?? ''}`,
      {
        ...(name === undefined ? {} : { cloud: name }),
        ...(region === undefined ? {} : { region }),
        ...files,
      },
      `the ${role} account (${setting})${region === undefined ? '' : ` in region ${region}`}`,
    );
  }

  /**
   * The reading account in each compute region besides the target's own whose servers and
   * volumes boot from its Glance (`usageRegions`): a usage scan covers them too.
   */
  usageElsewhere(target: Target): ComputeRegion[] {
    return (target.usageRegions ?? [])
      .filter((region) => region !== target.region)
      .map((region) => {
        const client = this.get('usage', target, region);
        return { region, nova: client.nova, cinder: client.cinder };
      });
  }

  /**
   * Another entry of the publishing account's clouds.yaml: the project a series' smoke test
   * boots its server in (catalogue `smokeTest.project`).
   */
  publishFileEntry(cloud: string, region?: string): OpenStackClient {
    const files = this.files('publish');
    return this.#connect(
      `${files.configFiles?.[0] ?? ''}\n${cloud}\n${region ?? ''}`,
      { cloud, ...(region === undefined ? {} : { region }), ...files },
      `the smoke-test cloud "${cloud}" (beside the publish account's entry)${region === undefined ? '' : ` in region ${region}`}`,
    );
  }

  #connect(key: string, options: ConnectOptions, what: string): OpenStackClient {
    let client = this.#clients.get(key);
    if (!client) {
      try {
        client = OpenStackClient.connect({ ...options, logger: this.#logger, env: this.#env });
      } catch (error) {
        if (!(error instanceof CloudConfigError)) throw error;
        throw new CloudConfigError(`${what}: ${error.message}`);
      }
      this.#clients.set(key, client);
    }
    return client;
  }
}
