#!/usr/bin/env bash
# Installs cfn-lint from PyPI into .tools/venv (idempotent). Prints the binary's path.
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
venv="$repo/.tools/cfn-lint"
version="1.58.0"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
if ! "$venv/bin/cfn-lint" --version 2>/dev/null | grep -q "$version"; then
  "$venv/bin/pip" install --quiet --disable-pip-version-check "cfn-lint==$version" >&2
fi
echo "$venv/bin/cfn-lint"
