# shellcheck shell=bash
# Helpers of the smoke checks `verify` and `verify-region2`. Sourced, never executed.
# The caller sets K (Keystone URL), WORK (a temp dir) and OS_CLIENT_CONFIG_FILE.
PY=/usr/bin/python3

ok() { echo "ok   $*"; }
fail() { echo "FAIL $*" >&2; exit 1; }
expect() { [ "$1" = "$2" ] || fail "$3: got '$1', want '$2'"; ok "$3 ($1)"; }
poll() { # seconds command... : retry until the command succeeds
  local t=$1 i; shift
  for i in $(seq $(( t * 4 ))); do "$@" && return 0; sleep 0.25; done
  return 1
}

auth_body() { # cloud -> Keystone POST /v3/auth/tokens body built from clouds.yaml
  "$PY" - "$OS_CLIENT_CONFIG_FILE" "$1" <<'EOF'
import json, sys, yaml
c = yaml.safe_load(open(sys.argv[1]))['clouds'][sys.argv[2]]
a = c['auth']
if c.get('auth_type') == 'v3applicationcredential':
    ident = {'methods': ['application_credential'], 'application_credential': {
        'id': a['application_credential_id'], 'secret': a['application_credential_secret']}}
    body = {'identity': ident}
else:
    ident = {'methods': ['password'], 'password': {'user': {
        'name': a['username'], 'password': a['password'],
        'domain': {'name': a['user_domain_name']}}}}
    body = {'identity': ident, 'scope': {'project': {
        'name': a['project_name'], 'domain': {'name': a['project_domain_name']}}}}
print(json.dumps({'auth': body}))
EOF
}
login() { # cloud var-suffix -> sets T_<suffix> (token), P_<suffix> (project id); body in $WORK/tok.json
  local code
  code=$(curl -s -D "$WORK/h" -o "$WORK/tok.json" -w '%{http_code}' -X POST "$K/auth/tokens" \
    -H 'Content-Type: application/json' -d "$(auth_body "$1")")
  [ "$code" = 201 ] || fail "token for cloud '$1': HTTP $code $(head -c 300 "$WORK/tok.json")"
  printf -v "T_$2" '%s' "$(awk 'tolower($1)=="x-subject-token:"{print $2}' "$WORK/h" | tr -d '\r')"
  printf -v "P_$2" '%s' "$(jq -r .token.project.id "$WORK/tok.json")"
  ok "token for cloud '$1' (project $(jq -r .token.project.name "$WORK/tok.json"), roles $(jq -r '[.token.roles[].name]|sort|join(",")' "$WORK/tok.json"))"
}

# Nova keeps a deleted server SOFT_DELETED for an hour here (templates/nova.conf,
# reclaim_instance_interval): delete, wait for SOFT_DELETED, then force-delete. Not sooner:
# a force-delete that races the soft delete leaves the server stuck in task_state "deleting".
soft_deleted_or_gone() { # server-url token -> true once 404 or SOFT_DELETED; sets code
  code=$(curl -s -o "$WORK/s.json" -w '%{http_code}' "$1" -H "X-Auth-Token: $2")
  [ "$code" = 404 ] || [ "$(jq -r .server.status "$WORK/s.json")" = SOFT_DELETED ]
}
force_delete() { # server-url token -> HTTP status of the forceDelete action
  curl -s -o /dev/null -w '%{http_code}' -X POST "$1/action" -H "X-Auth-Token: $2" \
    -H 'Content-Type: application/json' -d '{"forceDelete": null}'
}
gone() { [ "$(curl -s -o /dev/null -w '%{http_code}' "$1" "${@:2}")" = 404 ]; }
delete_server_checked() { # server-url token label : delete, force, until 404, one line each
  expect "$(curl -s -o /dev/null -w '%{http_code}' -X DELETE "$1" -H "X-Auth-Token: $2")" 204 "$3: delete server"
  poll 60 soft_deleted_or_gone "$1" "$2" || fail "$3: server $1 neither SOFT_DELETED nor gone after 60 s"
  [ "$code" = 404 ] || expect "$(force_delete "$1" "$2")" 202 "$3: force-delete the SOFT_DELETED server"
  poll 60 gone "$1" -H "X-Auth-Token: $2" || fail "$3: server $1 not gone after 60 s"
  ok "$3: server gone"
}
delete_server_quietly() { # server-url token : best effort (cleanup after a failure)
  curl -s -o /dev/null -X DELETE "$1" -H "X-Auth-Token: $2" || true
  poll 30 soft_deleted_or_gone "$1" "$2" || true
  force_delete "$1" "$2" > /dev/null || true
}
