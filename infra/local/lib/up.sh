# shellcheck shell=bash
# `stack up`: fresh state dir, configs, DB syncs, start everything, bootstrap identities.

OUR_PORTS="5432 5672 11211 5000 9696 9292 8778 8774 8776"

start_postgres() { # fresh|restart -- a throw-away cluster tuned for tests, in the state dir
  local S=$STACK_DIR d
  [ -n "$PG_BIN" ] || die "PostgreSQL binaries not found under /usr/lib/postgresql"
  if [ "$1" = fresh ] || [ ! -s "$S/pgdata/PG_VERSION" ]; then
    rm -rf "$S/pgdata"; install -d -o postgres -g postgres "$S/pgdata" "$S/pgsock"
    setpriv --reuid=postgres --regid=postgres --init-groups "$PG_BIN/initdb" -D "$S/pgdata" \
      --auth=trust --username=postgres --encoding=UTF8 --no-instructions > "$LOG/initdb.out" 2>&1 \
      || { tail -20 "$LOG/initdb.out" >&2; die "initdb failed"; }
  fi
  install -d -o postgres -g postgres "$S/pgsock"
  start_svc postgres setpriv --reuid=postgres --regid=postgres --init-groups "$PG_BIN/postgres" -D "$S/pgdata" \
    -c listen_addresses=127.0.0.1 -c port=5432 -c unix_socket_directories="$S/pgsock" \
    -c fsync=off -c synchronous_commit=off -c full_page_writes=off \
    -c max_connections=400 -c shared_buffers=64MB -c logging_collector=off
  wait_tcp 5432 30
  local i; for i in $(seq 50); do psql_q postgres 'select 1' >/dev/null 2>&1 && break; sleep 0.2; done
  if [ "$1" = fresh ]; then
    for d in $OS_DATABASES; do psql_q postgres "CREATE DATABASE $d" >/dev/null; done
  fi
}

start_backing_services() { # fresh|restart
  local S=$STACK_DIR
  if port_in_use 4369; then
    touch "$RUN/epmd.shared"          # an Erlang port mapper already runs: share it, never stop it
  else
    start_svc epmd epmd -address 127.0.0.1 -port 4369
  fi
  start_postgres "$1"
  start_svc rabbitmq env HOME="$S/rabbitmq/home" RABBITMQ_CONF_ENV_FILE="$S/etc/rabbitmq-env.conf" \
    ERL_EPMD_ADDRESS=127.0.0.1 /usr/lib/rabbitmq/bin/rabbitmq-server
  start_svc memcached memcached -u memcache -l 127.0.0.1 -p 11211 -m 64 -U 0
  start_svc redis redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --dir "$S/redis" \
    --save '' --appendonly no --daemonize no --logfile "$LOG/redis.log"
}

keystone_setup() { # db, keys, bootstrap (admin/adminpass, RegionOne, keystone endpoints)
  local KM="keystone-manage --config-file $STACK_DIR/etc/keystone.conf"
  $KM db_sync
  $KM fernet_setup --keystone-user root --keystone-group root
  $KM credential_setup --keystone-user root --keystone-group root
  $KM bootstrap --bootstrap-password adminpass --bootstrap-region-id RegionOne \
    --bootstrap-admin-url http://127.0.0.1:5000/v3/ \
    --bootstrap-internal-url http://127.0.0.1:5000/v3/ \
    --bootstrap-public-url http://127.0.0.1:5000/v3/
}

nova_db_setup() {
  local S=$STACK_DIR NM="$STACK_DIR/bin/nova-manage --config-file $STACK_DIR/etc/nova/nova.conf" d
  $NM api_db sync
  $NM cell_v2 map_cell0 --database_connection "$(db_url nova_cell0)"
  $NM cell_v2 create_cell --name cell1
  $NM db sync
}

other_db_setup() {
  local S=$STACK_DIR
  "$S/bin/glance-manage" --config-file "$S/etc/glance-api.conf" db_sync
  placement-manage --config-file "$S/etc/placement/placement.conf" db sync
  "$S/bin/cinder-manage" --config-file "$S/etc/cinder/cinder.conf" db sync
}

admin_token() {
  curl -s -D - -o /dev/null -X POST http://127.0.0.1:5000/v3/auth/tokens -H 'Content-Type: application/json' \
    -d '{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"admin","domain":{"id":"default"},"password":"adminpass"}}},"scope":{"project":{"name":"admin","domain":{"id":"default"}}}}}' \
    | awk 'tolower($1)=="x-subject-token:"{print $2}' | tr -d '\r'
}

create_flavors() { # [nova-api port] the missing ones: a restart on an older state gains the flavors added since
  local tok f N=http://127.0.0.1:${1:-8774}/v2.1
  tok=$(admin_token); [ -n "$tok" ] || die "no admin token"
  # m1.large fits every series' minRam/minDisk (Windows: 4096 MiB, 40 GiB): the smoke tests' flavor
  for f in '1 m1.tiny 64 1 1' '2 m1.small 512 1 1' '3 m1.medium 2048 2 10' '4 m1.nodisk 64 1 0' '5 m1.large 4096 2 40'; do
    # shellcheck disable=SC2086
    set -- $f
    curl -sf -o /dev/null "$N/flavors/$1" -H "X-Auth-Token: $tok" && continue
    curl -sf -o /dev/null -X POST "$N/flavors" -H "X-Auth-Token: $tok" \
      -H 'Content-Type: application/json' \
      -d "{\"flavor\":{\"id\":\"$1\",\"name\":\"$2\",\"ram\":$3,\"vcpus\":$4,\"disk\":$5}}" \
      || die "creating flavor $2 failed"
  done
}

wait_sql() { # db query min_count timeout_s what
  local i n=0
  for i in $(seq $(( $4 * 4 ))); do
    n=$(psql_q "$1" "$2" 2>/dev/null || echo 0)
    [ "${n:-0}" -ge "$3" ] && return 0
    sleep 0.25
  done
  die "timeout: $5"
}

# RPC services are ready once they have reported to the DB after this start
# (first report ~5 s after the service consumes from RabbitMQ); a boot cast to
# nova-compute before its queue exists would be lost.
wait_agents() { # utc-timestamp [database suffix: _r2 for region two]
  local r=${2:-}
  wait_sql "nova$r" "select count(distinct \"binary\") from services where deleted=0 and updated_at >= '$1'
    and \"binary\" in ('nova-conductor','nova-scheduler','nova-compute')" 3 90 \
    "nova conductor/scheduler/compute did not report (see $LOG/nova-*.log)"
  wait_sql "cinder$r" "select count(distinct \"binary\") from services where not deleted and updated_at >= '$1'
    and \"binary\" in ('cinder-scheduler','cinder-volume')" 2 90 \
    "cinder scheduler/volume did not report (see $LOG/cinder-*.log)"
}

write_env_file() {
  cat > "$STACK_DIR/env.tmp" <<EOF
export OS_CLIENT_CONFIG_FILE=$STACK_DIR/clouds.yaml
export REDIS_URL=redis://127.0.0.1:$REDIS_PORT
export IMAGECYCLE_STACK_DIR=$STACK_DIR
export IMAGECYCLE_STACK_REGIONS=$REGIONS
EOF
  mv "$STACK_DIR/env.tmp" "$STACK_DIR/env"
}

start_openstack() { # fresh|restart   -- after start_backing_services
  local mode=$1 name
  wait_tcp 11211 20
  start_svc keystone uwsgi --ini etc/keystone-uwsgi.ini
  wait_http http://127.0.0.1:5000/v3 60
  say "keystone up"
  if [ "$mode" = fresh ]; then
    "$PY" "$LIB/py/bootstrap.py" "$STACK_DIR" > "$LOG/bootstrap.out" 2>&1 \
      || { tail -30 "$LOG/bootstrap.out" >&2; die "identity bootstrap failed"; }
    say "catalog, projects, users, application credential, clouds.yaml done"
    wait "$ODB" || { tail -30 "$LOG/db-sync-other.out" >&2; die "glance/placement/cinder db sync failed"; }
  else  # a state from before the least-privilege accounts existed gains them (idempotent)
    "$PY" "$LIB/py/bootstrap.py" "$STACK_DIR" --role-accounts > "$LOG/bootstrap-roles.out" 2>&1 \
      || { tail -30 "$LOG/bootstrap-roles.out" >&2; die "least-privilege accounts failed"; }
    say "least-privilege accounts in place"
  fi
  start_svc neutron-stub "$PY" "$LIB/py/neutron_stub.py"
  start_svc glance-api "$STACK_DIR/bin/glance-api" --config-file etc/glance-api.conf
  start_svc placement uwsgi --ini etc/placement-uwsgi.ini
  wait_tcp 5672 60   # RPC services started before the broker back off for several seconds
  start_svc cinder-api "$STACK_DIR/bin/cinder-api" --config-file etc/cinder/cinder.conf --log-file "$LOG/cinder-api.log"
  for name in scheduler volume; do
    start_svc "cinder-$name" env PYTHONPATH="$LIB/py" "$STACK_DIR/bin/cinder-$name" \
      --config-file etc/cinder/cinder.conf --log-file "$LOG/cinder-$name.log"
  done
  if [ "$mode" = fresh ]; then
    wait "$NDB" || { tail -30 "$LOG/db-sync-nova.out" >&2; die "nova db sync failed"; }
    say "db syncs done"
  fi
  start_svc nova-api uwsgi --ini etc/nova-api-uwsgi.ini
  for name in conductor scheduler; do
    start_svc "nova-$name" "$STACK_DIR/bin/nova-$name" --config-file etc/nova/nova.conf --log-file "$LOG/nova-$name.log"
  done
  # nova-compute only once placement (and keystone) answer, or its resource provider
  # appears only with the next periodic run a minute later (NoValidHost until then)
  wait_http http://127.0.0.1:5000/v3 60
  wait_http http://127.0.0.1:8778/ 60
  # lib/py/nova_compute.py: nova-compute able to load the project's compute driver
  # (templates/nova.conf compute_driver, lib/py/imagecycle_fake_compute.py)
  start_svc nova-compute "$PY" "$LIB/py/nova_compute.py" \
    --config-file etc/nova/nova.conf --log-file "$LOG/nova-compute.log"
  if [ "$REGIONS" = 2 ]; then start_region_two; fi
  wait_http http://127.0.0.1:9292/ 60
  wait_http http://127.0.0.1:8776/ 60
  wait_http http://127.0.0.1:8774/ 60
  say "APIs answering"
  create_flavors
  wait_sql nova_api 'select count(*) from host_mappings' 1 60 \
    "nova-compute never got mapped to cell1 (see $LOG/nova-compute.log)"
  wait_sql placement 'select count(*) from inventories' 3 30 \
    "no compute inventory in placement (see $LOG/nova-compute.log)"
  wait_agents "$T_START_UTC"
  say "nova-compute in placement + cell1; nova and cinder agents reporting"
  if [ "$REGIONS" = 2 ]; then wait_region_two "$T_START_UTC"; fi
}

stack_up() { # [--fresh]
  [ "$(id -u)" = 0 ] || die "run as root"
  local want=${1:-} running=0 name mode
  case $want in ""|--fresh) ;; *) die "usage: stack up [--fresh]";; esac
  # the number of regions: the env's, else what the last `up` recorded (REGIONS, stack.vars)
  local want_regions=${IMAGECYCLE_STACK_REGIONS:-$REGIONS}
  case $want_regions in 1|2) ;; *) die "IMAGECYCLE_STACK_REGIONS must be 1 or 2, not '$want_regions'";; esac
  for name in $(service_table | awk '{print $1}'); do svc_pid "$name" >/dev/null && running=1; done
  if [ $running = 1 ]; then
    if [ -z "$want" ] && [ "$want_regions" = "$REGIONS" ] && print_status > /dev/null && [ -s "$STACK_DIR/env" ] && [ -s "$STACK_DIR/clouds.yaml" ]; then
      echo "imagecycle stack already up ($STACK_DIR)"
      print_status
      return 0
    fi
    say "stopping the running stack first"
    stop_all
  fi
  REGIONS=$want_regions
  # stack.vars may carry an old Redis port; a (re)start takes the current env
  REDIS_PORT=${IMAGECYCLE_REDIS_PORT:-6379}
  local p r2_ports=""
  if [ "$REGIONS" = 2 ]; then r2_ports=$R2_PORTS; fi
  for p in $OUR_PORTS $r2_ports $REDIS_PORT; do
    port_in_use "$p" && die "port 127.0.0.1:$p is already in use by something else (another OpenStack/Redis?). Stop it, or for Redis set IMAGECYCLE_REDIS_PORT."
  done

  # restart on the existing state (DBs, images, identities, app credential) when
  # a previous `up` completed there; otherwise (or with --fresh) start from scratch
  if [ -z "$want" ] && [ -e "$STACK_DIR/.initialized" ]; then
    mode=restart
    say "restarting on the existing state in $STACK_DIR (use 'up --fresh' for a clean one)"
    rm -f "$STACK_DIR/env"
    write_stack_vars
    mkdir -p "$LOG" "$RUN"
  else
    mode=fresh
    fresh_state_dir
  fi
  ensure_packages "$LOG/apt.log"
  local T1; T1=$(date +%s.%N)
  T_START_UTC=$(date -u '+%F %T.%6N')
  configure_all
  cd "$STACK_DIR"

  start_backing_services $mode
  if [ "$REGIONS" = 2 ]; then region_two_prepare; fi
  if [ $mode = fresh ]; then
    keystone_setup > "$LOG/keystone-manage.out" 2>&1 & KS=$!
    nova_db_setup > "$LOG/db-sync-nova.out" 2>&1 & NDB=$!
    other_db_setup > "$LOG/db-sync-other.out" 2>&1 & ODB=$!
    say "backing services started; keystone setup and DB syncs running"
    wait $KS || { tail -20 "$LOG/keystone-manage.out" >&2; die "keystone setup failed"; }
  fi
  start_openstack $mode
  if [ "$REGIONS" = 1 ] && grep -q 'region_name: RegionTwo' "$STACK_DIR/clouds.yaml"; then
    # back to one region on a state that had two: no RegionTwo endpoints nor *-r2 clouds
    "$PY" "$LIB/py/bootstrap.py" "$STACK_DIR" --drop-region-two > "$LOG/bootstrap-r2.out" 2>&1 \
      || { tail -30 "$LOG/bootstrap-r2.out" >&2; die "removing region two's Keystone entries failed"; }
    rm -f "$STACK_DIR/.initialized-r2"
    say "region two's endpoints and clouds removed (its databases are kept)"
  fi
  write_env_file
  touch "$STACK_DIR/.initialized"

  print_status || die "not every service is up (see $LOG)"
  printf '\nimagecycle stack up (%s) in %ss (install %ss, configure+start %ss), RSS %s MiB\n' \
    "$mode" "$(since "$T0")" "${INSTALL_SECS:-0}" "$(since "$T1")" "$(stack_rss_mib)"
  echo "  eval \"\$($HERE/stack env)\"   # OS_CLIENT_CONFIG_FILE, REDIS_URL, IMAGECYCLE_STACK_DIR"
  echo "  clouds: imagecycle imagecycle-appcred imagecycle-publish imagecycle-usage tenant tenant2 admin   logs: $LOG"
  if [ "$REGIONS" = 2 ]; then
    echo "  RegionTwo: the same names with -r2 (imagecycle-r2, ...); its Nova and Cinder use RegionOne's Glance"
  fi
}
