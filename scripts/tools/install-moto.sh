#!/usr/bin/env bash
# Installs moto's server (PyPI `moto[server]`, a local emulator of AWS APIs) into .tools/moto-venv
# (idempotent). Prints the path of `moto_server`. The preflight tests start it on a free port.
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
venv="$repo/.tools/moto-venv"
version="5.2.5"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
if ! "$venv/bin/python" -c "import importlib.metadata as m, sys; sys.exit(m.version('moto') != '$version')" 2>/dev/null; then
  "$venv/bin/pip" install --quiet --disable-pip-version-check "moto[server]==$version" >&2
fi
echo "$venv/bin/moto_server"
