# shellcheck shell=bash
# Lays out a fresh $STACK_DIR and renders templates/ into $STACK_DIR/etc.

render() { # template dest [KEY=VALUE ...]   replaces @STATE@ and @KEY@
  local src=$TPL/$1 dst=$2 kv args=(-e "s|@STATE@|$STACK_DIR|g")
  shift 2
  for kv in "$@"; do args+=(-e "s|@${kv%%=*}@|${kv#*=}|g"); done
  sed "${args[@]}" "$src" > "$dst"
}

mkshim() { # name module  -- console scripts that the (uninstalled) daemon packages would ship
  printf '#!%s\nimport sys\nsys.argv[0] = "%s"\nfrom %s import main\nsys.exit(main())\n' \
    "$PY" "$1" "$2" > "$STACK_DIR/bin/$1"
  chmod +x "$STACK_DIR/bin/$1"
}

write_stack_vars() { # what status/down/env must follow (lib/common.sh reads it back)
  printf 'REDIS_PORT=%s\nREGIONS=%s\n' "$REDIS_PORT" "$REGIONS" > "$STACK_DIR/stack.vars"
}

fresh_state_dir() {
  case $STACK_DIR in /|/tmp|/root|/home|/var|/usr|/etc|"") die "refusing to use $STACK_DIR as state dir";; esac
  if [ -e "$STACK_DIR" ]; then
    if [ ! -e "$MARKER" ] && [ -n "$(ls -A "$STACK_DIR" 2>/dev/null)" ]; then
      die "$STACK_DIR exists, is not empty and is not an imagecycle stack dir"
    fi
    rm -rf "$STACK_DIR"
  fi
  mkdir -p "$STACK_DIR"/{etc/nova,etc/placement,etc/cinder,db,log,run,bin,lock,redis} \
           "$STACK_DIR"/keystone/{fernet-keys,credential-keys} \
           "$STACK_DIR"/glance/{images,staging,tasks} \
           "$STACK_DIR"/nova/{state,instances} "$STACK_DIR"/cinder/state \
           "$STACK_DIR"/rabbitmq/{home,mnesia}
  touch "$MARKER"
  write_stack_vars
}

# What differs between the regions. Region two (lib/region2.sh) shares Keystone, PostgreSQL,
# RabbitMQ (own vhost), memcached and the network stand-in with region one.
region_vars() { # 1|2 -> R_* of that region, and RV: the KEY=VALUE list its templates take
  case $1 in
    1) R_NAME=RegionOne R_SFX="" R_DIR="" R_DB="" R_VHOST="" R_ETC=$STACK_DIR/etc
       R_GLANCE_PORT=9292 R_PLACEMENT_PORT=8778 R_NOVA_PORT=8774 R_CINDER_PORT=8776 R_NOVA_PROCS=2 ;;
    2) R_NAME=RegionTwo R_SFX=-r2 R_DIR=/r2 R_DB=_r2 R_VHOST=region2 R_ETC=$STACK_DIR/etc/region2
       R_GLANCE_PORT=9293 R_PLACEMENT_PORT=8788 R_NOVA_PORT=8784 R_CINDER_PORT=8786 R_NOVA_PROCS=1 ;;
    *) die "region_vars: no region $1" ;;
  esac
  # ETC configs, SFX service/log/host name suffix, DIR data/lock subdir, DB database suffix
  RV=("ETC=$R_ETC" "SFX=$R_SFX" "DIR=$R_DIR" "DB=$R_DB" "VHOST=$R_VHOST" "REGION=$R_NAME"
      "GLANCE_PORT=$R_GLANCE_PORT" "CINDER_PORT=$R_CINDER_PORT")
}

configure_region() { # 1|2 : Glance, Placement, Nova and Cinder configs of that region
  region_vars "$1"
  local E=$R_ETC
  mkdir -p "$E/nova" "$E/placement" "$E/cinder"
  render glance-api.conf "$E/glance-api.conf" "${RV[@]}"
  render glance-api-paste.ini "$E/glance-api-paste.ini" "${RV[@]}"
  # least privilege (README.md, "Least privilege"): the publishing account's image-manager
  # role may publicize, the usage account's usage-auditor role may list every project's
  # servers and volumes, and a project's reader may not write its images
  render glance-policy.yaml "$E/glance-policy.yaml"
  render placement.conf "$E/placement/placement.conf" "${RV[@]}"
  render uwsgi.ini "$E/placement-uwsgi.ini" "NAME=placement$R_SFX" "PORT=$R_PLACEMENT_PORT" PROCS=1 \
    WSGI=/usr/bin/placement-api "ENV=OS_PLACEMENT_CONFIG_DIR=$E/placement"
  render nova.conf "$E/nova/nova.conf" "${RV[@]}"
  render nova-api-paste.ini "$E/nova/api-paste.ini"
  render nova-policy.yaml "$E/nova/policy.yaml"
  render uwsgi.ini "$E/nova-api-uwsgi.ini" "NAME=nova-api$R_SFX" "PORT=$R_NOVA_PORT" "PROCS=$R_NOVA_PROCS" \
    WSGI="$LIB/py/nova_api_wsgi.py" "ENV=OS_NOVA_CONFIG_DIR=$E/nova"
  render cinder.conf "$E/cinder/cinder.conf" "${RV[@]}"
  render cinder-api-paste.ini "$E/cinder/api-paste.ini" "${RV[@]}"
  render cinder-resource_filters.json "$E/cinder/resource_filters.json"
  render cinder-policy.yaml "$E/cinder/policy.yaml"
}

configure_all() {
  local E=$STACK_DIR/etc
  render keystone.conf "$E/keystone.conf"
  render uwsgi.ini "$E/keystone-uwsgi.ini" NAME=keystone PORT=5000 PROCS=2 \
    WSGI=/usr/bin/keystone-wsgi-public "ENV=OS_KEYSTONE_CONFIG_FILES=$E/keystone.conf"
  configure_region 1
  if [ "$REGIONS" = 2 ]; then region_two_dirs; configure_region 2; fi
  render rabbitmq-env.conf "$E/rabbitmq-env.conf"
  render rabbitmq.conf "$E/rabbitmq.conf"
  echo '[].' > "$E/rabbitmq-enabled-plugins"
  make_shims
}

make_shims() {
  mkshim glance-manage glance.cmd.manage
  mkshim glance-api glance.cmd.api
  mkshim nova-manage nova.cmd.manage
  mkshim nova-conductor nova.cmd.conductor
  mkshim nova-scheduler nova.cmd.scheduler
  mkshim nova-compute nova.cmd.compute
  mkshim cinder-manage cinder.cmd.manage
  mkshim cinder-api cinder.cmd.api
  mkshim cinder-scheduler cinder.cmd.scheduler
  mkshim cinder-volume cinder.cmd.volume
}
