#!/usr/bin/env bash
# Installs nginx (for `nginx -t` in the infra tests) unless it is already on PATH. Idempotent.
set -euo pipefail
if command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ]; then
  echo "nginx: $( (nginx -v || /usr/sbin/nginx -v) 2>&1)"
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
if ! apt-cache show nginx-light >/dev/null 2>&1 && ! apt-cache show nginx >/dev/null 2>&1; then
  $SUDO apt-get update
fi
if apt-cache show nginx-light >/dev/null 2>&1; then
  $SUDO apt-get install -y --no-install-recommends nginx-light
else
  $SUDO apt-get install -y --no-install-recommends nginx
fi
# The package may start a server; the tests only need the binary.
if command -v service >/dev/null 2>&1; then $SUDO service nginx stop >/dev/null 2>&1 || true; fi
echo "nginx: $( (nginx -v || /usr/sbin/nginx -v) 2>&1)"
