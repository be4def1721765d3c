#!/usr/bin/env bash
# Installs the Kubernetes 1.35 API models (the official Python client 35.x, generated from the
# 1.35 OpenAPI spec) into .tools/k8s-schema for scripts/tools/k8s-validate.py. Idempotent.
# Prints the Python interpreter's path.
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
venv="$repo/.tools/k8s-schema"
version="35.0.0"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
if ! "$venv/bin/python" -c "import kubernetes, sys; sys.exit(0 if kubernetes.__version__ == '$version' else 1)" 2>/dev/null; then
  "$venv/bin/pip" install --quiet --disable-pip-version-check "kubernetes==$version" >&2
fi
echo "$venv/bin/python"
