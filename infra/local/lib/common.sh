# shellcheck shell=bash
# Shared settings and helpers for infra/local/stack. Sourced, never executed.

STACK_DIR=${IMAGECYCLE_STACK_DIR:-/tmp/imagecycle-stack}
STACK_DIR=${STACK_DIR%/}
REDIS_PORT=${IMAGECYCLE_REDIS_PORT:-6379}
PY=/usr/bin/python3            # Debian's python: the OpenStack libraries live there, not in pyenv
LIB=$HERE/lib
TPL=$HERE/templates
MARKER=$STACK_DIR/.imagecycle-stack
RUN=$STACK_DIR/run
LOG=$STACK_DIR/log
export PYTHONWARNINGS=ignore
export DEBIAN_FRONTEND=noninteractive

REGIONS=1                      # 2: also region two (lib/region2.sh); IMAGECYCLE_STACK_REGIONS at `up`

# A previous `up` records the Redis port and the number of regions it used;
# status/down/env follow that, not the env.
if [ -s "$STACK_DIR/stack.vars" ]; then
  # shellcheck disable=SC1091
  . "$STACK_DIR/stack.vars"
fi

# name  port  check (tcp | http | redis | -)   -- start order; stop order is the reverse
service_table() {
  cat <<EOF
epmd 4369 tcp
postgres 5432 tcp
rabbitmq 5672 tcp
memcached 11211 tcp
redis $REDIS_PORT redis
keystone 5000 http
neutron-stub 9696 http
glance-api 9292 http
placement 8778 http
nova-api 8774 http
nova-conductor - -
nova-scheduler - -
nova-compute - -
cinder-api 8776 http
cinder-scheduler - -
cinder-volume - -
EOF
  if [ "$REGIONS" = 2 ]; then region_two_service_table; fi
}

T0=$(date +%s.%N)
since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}'; }
say() { printf '[%5ss] %s\n' "$(since "$T0")" "$*"; }
die() { echo "stack: ERROR: $*" >&2; exit 1; }

# --- processes -------------------------------------------------------------
# Every service runs in its own session (pid == pgid == sid). Its pid file holds
# "<pid> <start time in clock ticks>", so a recycled pid is never mistaken for ours.
proc_start_time() { [ -r "/proc/$1/stat" ] && sed 's/.*) //' "/proc/$1/stat" | cut -d' ' -f20; }
proc_state() { [ -r "/proc/$1/stat" ] && sed 's/.*) //' "/proc/$1/stat" | cut -d' ' -f1; }

svc_pid() { # name -> pid on stdout if that process is alive and is ours
  local f=$RUN/$1.pid pid st
  [ -s "$f" ] || return 1
  read -r pid st < "$f" || true
  [ -n "${pid:-}" ] && kill -0 "$pid" 2>/dev/null || return 1
  [ "$(proc_start_time "$pid")" = "${st:-}" ] || return 1
  [ "$(proc_state "$pid")" != Z ] || return 1   # exited, not yet reaped by pid 1
  echo "$pid"
}

start_svc() { # name cmd...   (logs: $LOG/<name>.out)
  local name=$1 pid i; shift
  rm -f "$RUN/$name.pid" "$RUN/$name.tmp"
  setsid bash -c 'echo $$ > "$0"; exec "$@"' "$RUN/$name.tmp" "$@" > "$LOG/$name.out" 2>&1 < /dev/null &
  for i in $(seq 50); do
    if [ -s "$RUN/$name.tmp" ]; then
      pid=$(cat "$RUN/$name.tmp")
      echo "$pid $(proc_start_time "$pid")" > "$RUN/$name.pid"
      rm -f "$RUN/$name.tmp"
      return 0
    fi
    sleep 0.1
  done
  die "could not start $name (see $LOG/$name.out)"
}

live_in_sessions() { # comma-separated sids -> true if any non-zombie process is left
  # (exited services linger as zombies until pid 1 reaps them: not "alive")
  [ -n "$1" ] && ps -o stat= --sid "$1" 2>/dev/null | grep -qv '^Z'
}

BACKING_SERVICES="redis memcached rabbitmq postgres epmd"

stop_group() { # names... : TERM each recorded service (whole session), wait <= 10 s, then KILL
  local name pid sids="" i p
  for name in "$@"; do
    if pid=$(svc_pid "$name"); then
      kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
      sids=${sids:+$sids,}$pid
    fi
    rm -f "$RUN/$name.pid"
  done
  for i in $(seq 100); do
    live_in_sessions "$sids" || return 0
    sleep 0.1
  done
  { echo "$(date '+%F %T') still running 10 s after SIGTERM, sending SIGKILL:"
    ps -o sid=,pid=,stat=,cmd= --sid "$sids" | grep -v ' Z' | cut -c1-160; } >> "$LOG/down.log" 2>/dev/null || true
  for p in ${sids//,/ }; do kill -KILL -- "-$p" 2>/dev/null || true; done
}

stop_all() { # OpenStack services first (they talk to RabbitMQ while stopping), then the backing services
  [ -d "$RUN" ] || return 0
  # shellcheck disable=SC2046
  stop_group $(service_table | awk '{print $1}' | grep -vxF -f <(tr ' ' '\n' <<< "$BACKING_SERVICES"))
  # pid files of services the table does not list (an `up` that changed the number of regions)
  # shellcheck disable=SC2046
  stop_group $(for f in "$RUN"/*.pid; do [ -e "$f" ] && basename "$f" .pid; done \
    | grep -vxF -f <(tr ' ' '\n' <<< "$BACKING_SERVICES"))
  # shellcheck disable=SC2086
  stop_group $BACKING_SERVICES      # (a shared epmd has no pid file and is left alone)
  rm -f "$RUN/epmd.shared"
  return 0
}

# --- databases -------------------------------------------------------------
# Every OpenStack service keeps its database in the stack's own PostgreSQL (SQLite fails
# overlapping writes with "database is locked", which no busy timeout cures).
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
OS_DATABASES="keystone glance placement nova_api nova nova_cell0 cinder"
db_url() { echo "postgresql+psycopg2://postgres@127.0.0.1:5432/$1"; }
psql_q() { # db query -> rows, unaligned
  psql -h 127.0.0.1 -p 5432 -U postgres -d "$1" -tAXqc "$2"
}

# --- probes ----------------------------------------------------------------
port_answers() { # port check-kind
  case $2 in
    http)  curl -s -o /dev/null --max-time 3 "http://127.0.0.1:$1/" ;;
    tcp)   timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null ;;
    redis) [ "$(timeout 2 redis-cli -h 127.0.0.1 -p "$1" ping 2>/dev/null)" = PONG ] ;;
    *)     return 0 ;;
  esac
}
port_in_use() { ss -Hltn "sport = :$1" 2>/dev/null | grep -q .; }

wait_http() { # url timeout_s
  local i
  for i in $(seq $(( $2 * 5 ))); do
    curl -s -o /dev/null --max-time 2 "$1" && return 0
    sleep 0.2
  done
  die "timeout waiting for $1"
}
wait_tcp() { # port timeout_s
  local i
  for i in $(seq $(( $2 * 5 ))); do
    port_answers "$1" tcp && return 0
    sleep 0.2
  done
  die "timeout waiting for 127.0.0.1:$1"
}

# prints "up total" counts and one line per service; returns 0 if all up
print_status() {
  local name port kind pid state ans all=0 note
  while read -r name port kind; do
    note=""
    if pid=$(svc_pid "$name"); then state=running
    elif [ "$name" = epmd ] && [ -e "$RUN/epmd.shared" ]; then state=running; pid=shared; note=" (not ours)"
    else state=stopped; pid=-; all=1
    fi
    if [ "$port" = - ]; then ans=-
    elif port_answers "$port" "$kind"; then ans=yes
    else ans=no; all=1
    fi
    printf '%-19s %-8s pid %-7s port %-6s answering %s%s\n' "$name" "$state" "$pid" "$port" "$ans" "$note"
  done < <(service_table)
  return $all
}

stack_rss_mib() { # resident memory of everything we started
  local sids
  sids=$(for f in "$RUN"/*.pid; do [ -s "$f" ] && cut -d' ' -f1 "$f"; done | paste -sd, -)
  [ -n "$sids" ] || { echo 0; return; }
  ps -o rss= --sid "$sids" | awk '{s+=$1} END {print int(s/1024)}'
}
