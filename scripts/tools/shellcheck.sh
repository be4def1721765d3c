#!/usr/bin/env bash
# Runs shellcheck (pinned, from PyPI) on every tracked shell script: *.sh and .ci/run.
# Sourced files are followed (.shellcheckrc); any finding fails.
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$repo"
shellcheck="$(bash scripts/tools/install-shellcheck.sh)"
mapfile -t scripts < <(git ls-files '*.sh' .ci/run)
"$shellcheck" --external-sources "${scripts[@]}"
echo "shellcheck: ${#scripts[@]} scripts clean"
