#!/usr/bin/env bash
# promtool (Prometheus' rule checker and rule unit-test runner) for test/infra: taken from
# Debian's prometheus package (only the promtool binary, into .tools/bin; no daemon is
# installed or started). Idempotent; prints one line when it installs.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TOOLS="$ROOT/.tools"
[ -x "$TOOLS/bin/promtool" ] && exit 0
command -v promtool >/dev/null && exit 0
echo "promtool: installing Debian's promtool into .tools/bin"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && apt-get download prometheus >/dev/null 2>&1) || {
  apt-get update -qq >/dev/null && (cd "$work" && apt-get download prometheus >/dev/null)
}
dpkg-deb -x "$work"/prometheus_*.deb "$work/x"
mkdir -p "$TOOLS/bin"
install -m 0755 "$work/x/usr/bin/promtool" "$TOOLS/bin/promtool"
