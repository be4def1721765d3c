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
  # The secret's own region (a secondary region reads the primary region's database secrets).
  region="$(echo "$arn" | cut -d: -f4)"
  aws secretsmanager get-secret-value --region "$region" --secret-id "$arn" --query SecretString --output text > "$dir/$name.json.tmp"
  mv "$dir/$name.json.tmp" "$dir/$name.json"
done
