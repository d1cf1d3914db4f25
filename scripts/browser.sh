#!/usr/bin/env bash
# shellcheck shell=bash
# Run (or sourced) by ./dev test: makes Debian's chromium available at /usr/bin/chromium for
# the browser test (test/browser), installing it with apt-get when it is missing. Playwright
# drives it through playwright-core; Playwright's own browser download is not used.
# Idempotent; prints one line when it installs, nothing otherwise.
set -euo pipefail

BROWSER_PKGS="chromium fonts-liberation"

browser_missing_pkgs() {
  local p
  for p in $BROWSER_PKGS; do
    [ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null)" = installed ] || echo "$p"
  done
}

ensure_browser() {
  local missing log i rc=0 t
  missing=$(browser_missing_pkgs | xargs)
  if [ -x /usr/bin/chromium ] && [ -z "$missing" ]; then return 0; fi
  if [ "$(id -u)" != 0 ]; then
    echo "browser: $missing missing and not root: apt-get install -y $missing" >&2
    return 1
  fi
  t=$(date +%s)
  log=$(mktemp "${TMPDIR:-/tmp}/imagecycle-browser-apt.XXXXXX")
  # wait for another apt/dpkg run (e.g. the stack's own install) to finish first
  for i in $(seq 600); do
    pgrep -x apt-get >/dev/null || pgrep -x dpkg >/dev/null || break
    sleep 1
  done
  {
    DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
      # shellcheck disable=SC2086
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
  } >"$log" 2>&1 || rc=$?
  if [ "$rc" != 0 ] || [ ! -x /usr/bin/chromium ]; then
    tail -30 "$log" >&2
    echo "browser: apt-get install $missing failed (log: $log)" >&2
    return 1
  fi
  rm -f "$log"
  echo "browser: installed $missing ($(/usr/bin/chromium --version 2>/dev/null | head -1)) in $(($(date +%s) - t))s"
}

ensure_browser
