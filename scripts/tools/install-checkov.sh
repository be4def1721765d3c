#!/usr/bin/env bash
# Installs checkov from PyPI into .tools/venv (idempotent). Prints the binary's path.
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
venv="$repo/.tools/venv"
version="3.3.30"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
if ! "$venv/bin/checkov" --version 2>/dev/null | grep -qx "$version"; then
  "$venv/bin/pip" install --quiet --disable-pip-version-check "checkov==$version" >&2
fi
echo "$venv/bin/checkov"
