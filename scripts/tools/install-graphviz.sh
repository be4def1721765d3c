#!/usr/bin/env bash
# Installs graphviz (`dot`, for `npm run diagrams`) from Debian unless it is already on PATH. Idempotent.
set -euo pipefail
if command -v dot >/dev/null 2>&1; then
  echo "graphviz: $(dot -V 2>&1)"
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
if ! apt-cache show graphviz >/dev/null 2>&1; then
  $SUDO apt-get update
fi
$SUDO apt-get install -y --no-install-recommends graphviz
echo "graphviz: $(dot -V 2>&1)"
