#!/bin/sh
# Writes each Secrets Manager secret named in SECRET_ARNS ("name=arn name=arn ...") to
# $SECRETS_DIR/<name>.json, readable by the service user only. Used by the app servers'
# systemd unit (ExecStartPre) and by the Kubernetes init container.
set -eu
dir="${SECRETS_DIR:-/run/secrets/orders}"
umask 077
mkdir -p "$dir"
for pair in ${SECRET_ARNS:-}; do
  name="${pair%%=*}"
  arn="${pair#*=}"
  # The secret's own region, or SECRETS_REGION: a secondary region reads its replica of the
  # primary region's secret (same ARN, its own region), which it can still read if the primary is lost.
  region="${SECRETS_REGION:-$(echo "$arn" | cut -d: -f4)}"
  arn="$(echo "$arn" | awk -F: -v r="$region" 'BEGIN { OFS = ":" } { $4 = r; print }')"
  aws secretsmanager get-secret-value --region "$region" --secret-id "$arn" --query SecretString --output text > "$dir/$name.json.tmp"
  mv "$dir/$name.json.tmp" "$dir/$name.json"
done
