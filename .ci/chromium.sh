#!/usr/bin/env bash
# Debian's chromium for podium's browser tests (pytest -m browser).
#
# Installs /usr/bin/chromium with apt-get when it is missing; does nothing otherwise, so it
# is safe to run again. Playwright drives this binary (executable_path="/usr/bin/chromium"):
# never run `playwright install`, which downloads its own browser.
#
#   .ci/chromium.sh && uv pip install playwright && pytest -m browser
#
# Needs root (or sudo).
set -euo pipefail

log() { echo "chromium.sh: $*" >&2; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

if [ -x /usr/bin/chromium ]; then
  log "found $(/usr/bin/chromium --version 2>/dev/null || echo /usr/bin/chromium)"
  exit 0
fi
log "installing chromium (apt-get)"
as_root apt-get update -qq >&2
DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends \
  chromium fonts-liberation >&2
log "installed $(/usr/bin/chromium --version 2>/dev/null || echo /usr/bin/chromium)"
