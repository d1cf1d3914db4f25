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
  printf 'REDIS_PORT=%s\n' "$REDIS_PORT" > "$STACK_DIR/stack.vars"
}

configure_all() {
  local E=$STACK_DIR/etc
  render keystone.conf "$E/keystone.conf"
  render uwsgi.ini "$E/keystone-uwsgi.ini" NAME=keystone PORT=5000 PROCS=2 \
    WSGI=/usr/bin/keystone-wsgi-public "ENV=OS_KEYSTONE_CONFIG_FILES=$E/keystone.conf"
  render glance-api.conf "$E/glance-api.conf"
  render glance-api-paste.ini "$E/glance-api-paste.ini"
  # least privilege (README.md, "Least privilege"): the publishing account's image-manager
  # role may publicize, the usage account's usage-auditor role may list every project's
  # servers and volumes, and a project's reader may not write its images
  render glance-policy.yaml "$E/glance-policy.yaml"
  render placement.conf "$E/placement/placement.conf"
  render uwsgi.ini "$E/placement-uwsgi.ini" NAME=placement PORT=8778 PROCS=1 \
    WSGI=/usr/bin/placement-api "ENV=OS_PLACEMENT_CONFIG_DIR=$E/placement"
  render nova.conf "$E/nova/nova.conf"
  render nova-api-paste.ini "$E/nova/api-paste.ini"
  render nova-policy.yaml "$E/nova/policy.yaml"
  render uwsgi.ini "$E/nova-api-uwsgi.ini" NAME=nova-api PORT=8774 PROCS=2 \
    WSGI="$LIB/py/nova_api_wsgi.py" "ENV=OS_NOVA_CONFIG_DIR=$E/nova"
  render cinder.conf "$E/cinder/cinder.conf"
  render cinder-api-paste.ini "$E/cinder/api-paste.ini"
  render cinder-resource_filters.json "$E/cinder/resource_filters.json"
  render cinder-policy.yaml "$E/cinder/policy.yaml"
  render rabbitmq-env.conf "$E/rabbitmq-env.conf"
  render rabbitmq.conf "$E/rabbitmq.conf"
  echo '[].' > "$E/rabbitmq-enabled-plugins"

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
