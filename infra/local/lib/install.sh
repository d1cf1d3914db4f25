# shellcheck shell=bash
# Debian packages the stack needs. Only the python3-<project> library packages
# are installed, not the daemon packages (keystone, glance-api, nova-api, ...):
# that skips debconf, dbconfig-common and every init script.

STACK_PKGS="python3-keystone python3-glance python3-nova python3-placement python3-cinder
  python3-openstacksdk python3-yaml uwsgi-core uwsgi-plugin-python3
  rabbitmq-server memcached redis-server
  jq curl qemu-utils iproute2 procps
  xz-utils bzip2 gnupg postgresql python3-psycopg2"

missing_pkgs() {
  local p
  for p in $STACK_PKGS; do
    [ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null)" = installed ] || echo "$p"
  done
}

ensure_packages() { # apt log: $1
  local missing log=$1 i made_policy=0 rc=0
  missing=$(missing_pkgs | xargs)
  if [ -z "$missing" ]; then INSTALL_SECS=0; return 0; fi
  local t; t=$(date +%s.%N)
  say "installing: $missing"
  # wait for another apt/dpkg run (e.g. a provisioning step) to finish first
  for i in $(seq 600); do
    pgrep -x apt-get >/dev/null || pgrep -x dpkg >/dev/null || break
    [ "$i" = 1 ] && say "waiting for a running apt-get/dpkg to finish"
    sleep 1
  done
  # keep the maintainer scripts from starting rabbitmq/memcached/redis via invoke-rc.d
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
    made_policy=1
  fi
  {
    apt-get update -qq && \
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $missing
  } > "$log" 2>&1 || rc=$?
  [ "$made_policy" = 1 ] && rm -f /usr/sbin/policy-rc.d
  [ "$rc" = 0 ] || { tail -30 "$log" >&2; die "apt-get install failed (log: $log)"; }
  INSTALL_SECS=$(since "$t")
  say "packages installed in ${INSTALL_SECS}s"
}
