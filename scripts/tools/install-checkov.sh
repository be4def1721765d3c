#!/usr/bin/env bash
# Installs checkov from PyPI into .tools/venv (idempotent). Prints the binary's path.
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
venv="$repo/.tools/venv"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
if [ ! -x "$venv/bin/checkov" ]; then
  "$venv/bin/pip" install --quiet --disable-pip-version-check checkov >&2
fi
echo "$venv/bin/checkov"
