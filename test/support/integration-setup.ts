// Global setup of the `integration` project: integration tests talk to a real Redis and a
// real OpenStack. `./dev test` starts the local ones (infra/local) and exports their
// settings; OS_CLOUD (plus IMAGECYCLE_TEST_TENANT_CLOUD and REDIS_URL) runs the same suite
// against an existing cloud. Missing settings fail the run loudly here, once, instead of
// as a hundred confusing connection errors.
export default function setup(): void {
  const missing: string[] = [];
  if (!process.env.REDIS_URL) missing.push('REDIS_URL');
  if (!process.env.OS_CLOUD && !process.env.OS_CLIENT_CONFIG_FILE)
    missing.push('OS_CLOUD or OS_CLIENT_CONFIG_FILE');
  if (missing.length > 0) {
    throw new Error(
      `integration tests need ${missing.join(' and ')}: run them through ./dev test, ` +
        'or eval "$(infra/local/stack env)" after infra/local/stack up',
    );
  }
}
