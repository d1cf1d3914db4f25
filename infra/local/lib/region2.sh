# shellcheck shell=bash
# Region two (IMAGECYCLE_STACK_REGIONS=2): RegionTwo in the same Keystone, with its own
# Glance (the "one Glance per region" topology) and its own Placement, Nova and Cinder,
# which use RegionOne's Glance (the "shared Glance" topology). Its databases live in the
# stack's PostgreSQL (suffix _r2), its RPC in RabbitMQ vhost region2; configs in
# etc/region2/, data under glance/r2, nova/r2, cinder/r2, lock/r2; services, logs and pid
# files are named <service>-r2. README.md, "Two regions".

R2_DATABASES="glance_r2 placement_r2 nova_api_r2 nova_r2 nova_cell0_r2 cinder_r2"
R2_PORTS="9293 8788 8784 8786"
R2_VHOST=region2

region_two_service_table() { # appended to service_table (lib/common.sh)
  cat <<EOF
glance-api-r2 9293 http
placement-r2 8788 http
nova-api-r2 8784 http
nova-conductor-r2 - -
nova-scheduler-r2 - -
nova-compute-r2 - -
cinder-api-r2 8786 http
cinder-scheduler-r2 - -
cinder-volume-r2 - -
EOF
}

region_two_dirs() {
  mkdir -p "$STACK_DIR"/glance/r2/{images,staging,tasks} "$STACK_DIR"/nova/r2/{state,instances} \
           "$STACK_DIR"/cinder/r2/state "$STACK_DIR"/lock/r2
}

rabbitmqctl_() { # the stack's own node (templates/rabbitmq-env.conf), whose cookie is in its HOME
  env HOME="${RABBIT_HOME:-$STACK_DIR/rabbitmq/home}" \
    RABBITMQ_CONF_ENV_FILE="${RABBIT_ENV_FILE:-$STACK_DIR/etc/rabbitmq-env.conf}" \
    ERL_EPMD_ADDRESS=127.0.0.1 /usr/lib/rabbitmq/bin/rabbitmqctl "$@"
}

ensure_region_two_vhost() { # idempotent; region two's nova/cinder topics must not meet region one's
  wait_tcp 5672 60    # the node is reachable (await_startup fails on a node still booting)
  rabbitmqctl_ -q await_startup --timeout 60
  rabbitmqctl_ -q list_vhosts name | grep -qxF "$R2_VHOST" || rabbitmqctl_ -q add_vhost "$R2_VHOST"
  rabbitmqctl_ -q set_permissions -p "$R2_VHOST" guest '.*' '.*' '.*'
}

region_two_db_setup() { # creates the missing databases, then syncs them (each step idempotent)
  local S=$STACK_DIR E=$STACK_DIR/etc/region2 d
  local NM="$S/bin/nova-manage --config-file $E/nova/nova.conf"
  for d in $R2_DATABASES; do
    [ "$(psql_q postgres "select count(*) from pg_database where datname = '$d'")" = 1 ] \
      || psql_q postgres "CREATE DATABASE $d" >/dev/null
  done
  "$S/bin/glance-manage" --config-file "$E/glance-api.conf" db_sync
  placement-manage --config-file "$E/placement/placement.conf" db sync
  "$S/bin/cinder-manage" --config-file "$E/cinder/cinder.conf" db sync
  $NM api_db sync
  $NM cell_v2 map_cell0 --database_connection "$(db_url nova_cell0_r2)"
  $NM cell_v2 list_cells | grep -q ' cell1 ' || $NM cell_v2 create_cell --name cell1
  $NM db sync
}

# The first half of region two's start: run in the background, from the beginning of `up`
# (after PostgreSQL and RabbitMQ were started), what needs neither Keystone nor region one.
region_two_prepare() { # -> R2P: pid of that job
  {
    if [ ! -e "$STACK_DIR/.initialized-r2" ]; then region_two_db_setup; fi
    ensure_region_two_vhost
  } > "$LOG/region2-setup.out" 2>&1 &
  R2P=$!
}

region_two_keystone() { # RegionTwo, its endpoints and the *-r2 clouds.yaml entries (idempotent)
  "$PY" "$LIB/py/bootstrap.py" "$STACK_DIR" --region-two > "$LOG/bootstrap-r2.out" 2>&1 \
    || { tail -30 "$LOG/bootstrap-r2.out" >&2; die "region two's Keystone entries failed"; }
}

# The second half: start region two's services. Keystone answers; region one's services
# have been started (and need not be ready).
start_region_two() {
  local name E=etc/region2
  wait "$R2P" || { tail -30 "$LOG/region2-setup.out" >&2; die "region two's db sync / vhost failed"; }
  region_two_keystone
  say "region two: databases, vhost $R2_VHOST, RegionTwo endpoints ready"
  start_svc glance-api-r2 "$STACK_DIR/bin/glance-api" --config-file $E/glance-api.conf
  start_svc placement-r2 uwsgi --ini $E/placement-uwsgi.ini
  start_svc cinder-api-r2 "$STACK_DIR/bin/cinder-api" --config-file $E/cinder/cinder.conf \
    --log-file "$LOG/cinder-api-r2.log"
  for name in scheduler volume; do
    start_svc "cinder-$name-r2" env PYTHONPATH="$LIB/py" "$STACK_DIR/bin/cinder-$name" \
      --config-file $E/cinder/cinder.conf --log-file "$LOG/cinder-$name-r2.log"
  done
  start_svc nova-api-r2 uwsgi --ini $E/nova-api-uwsgi.ini
  for name in conductor scheduler; do
    start_svc "nova-$name-r2" "$STACK_DIR/bin/nova-$name" --config-file $E/nova/nova.conf \
      --log-file "$LOG/nova-$name-r2.log"
  done
  wait_http http://127.0.0.1:8788/ 60   # as in region one: placement before nova-compute
  start_svc nova-compute-r2 "$PY" "$LIB/py/nova_compute.py" \
    --config-file $E/nova/nova.conf --log-file "$LOG/nova-compute-r2.log"
}

wait_region_two() { # utc-timestamp of this start
  wait_http http://127.0.0.1:9293/ 60
  wait_http http://127.0.0.1:8786/ 60
  wait_http http://127.0.0.1:8784/ 60
  create_flavors 8784
  wait_sql nova_api_r2 'select count(*) from host_mappings' 1 60 \
    "region two's nova-compute never got mapped to cell1 (see $LOG/nova-compute-r2.log)"
  wait_sql placement_r2 'select count(*) from inventories' 3 30 \
    "no region-two compute inventory in placement (see $LOG/nova-compute-r2.log)"
  wait_agents "$1" _r2
  touch "$STACK_DIR/.initialized-r2"
  say "region two: nova-compute in placement + cell1; nova and cinder agents reporting"
}
