// The clouds integration tests use. Locally: the entries infra/local writes into its
// clouds.yaml. Against an existing cloud: OS_CLOUD is the service's (admin) cloud,
// IMAGECYCLE_TEST_TENANT_CLOUD / IMAGECYCLE_TEST_TENANT2_CLOUD two normal tenants, and
// IMAGECYCLE_TEST_PUBLISH_CLOUD / IMAGECYCLE_TEST_USAGE_CLOUD the least-privilege accounts of
// the service project (README, "Least privilege").
import { randomBytes } from 'node:crypto';
import { OpenStackClient, type ConnectOptions } from '@imagecycle/openstack';

export const cloudNames = {
  service: process.env.OS_CLOUD ?? 'imagecycle',
  serviceAppCredential: process.env.IMAGECYCLE_TEST_APPCRED_CLOUD ?? 'imagecycle-appcred',
  tenant: process.env.IMAGECYCLE_TEST_TENANT_CLOUD ?? 'tenant',
  tenant2: process.env.IMAGECYCLE_TEST_TENANT2_CLOUD ?? 'tenant2',
  admin: process.env.IMAGECYCLE_TEST_ADMIN_CLOUD ?? 'admin',
  publish: process.env.IMAGECYCLE_TEST_PUBLISH_CLOUD ?? 'imagecycle-publish',
  usage: process.env.IMAGECYCLE_TEST_USAGE_CLOUD ?? 'imagecycle-usage',
};

/**
 * The roles the cloud's Cinder policy makes admin (`context_is_admin`), which the usage
 * account's scan must know: the local stack's cinder-policy.yaml adds usage-auditor.
 */
export const cinderAdminRoles: readonly string[] = (
  process.env.IMAGECYCLE_TEST_CINDER_ADMIN_ROLES ?? 'admin,usage-auditor'
).split(',');

export function connect(
  cloud: keyof typeof cloudNames,
  options: ConnectOptions = {},
): OpenStackClient {
  return OpenStackClient.connect({ ...options, cloud: cloudNames[cloud] });
}

/** A name prefix unique to one test run, so runs never see each other's resources. */
export function runPrefix(label: string): string {
  return `itest-${label}-${randomBytes(3).toString('hex')}`;
}
