// Global setup of the `integration` project: integration tests talk to a real Redis and a
// real OpenStack. `./dev test` starts the local ones (infra/local) and exports their
// settings; pointing OS_CLOUD (+ OS_CLIENT_CONFIG_FILE) and REDIS_URL elsewhere runs the
// same suite against an existing cloud. Missing settings fail the run loudly here, once,
// instead of as a hundred confusing connection errors.
export default function setup(): void {
  const missing = ['OS_CLIENT_CONFIG_FILE', 'REDIS_URL'].filter((name) => !process.env[name]);
  if (missing.length > 0) {
    throw new Error(
      `integration tests need ${missing.join(' and ')}: run them through ./dev test, ` +
        'or eval "$(infra/local/stack env)" after infra/local/stack up',
    );
  }
}
