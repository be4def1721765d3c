#!/usr/bin/env bash
# Installs what is missing, starts what is not running, and waits until every local test server is
# ready: PostgreSQL primary + streaming replica, Kafka (KRaft), Redis (standalone + cluster), FerretDB.
# Safe to run again at any time. Exits 0 only when all servers are ready.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

start_time=$SECONDS
take_lock
log "ports: offset $SERVERS_PORT_BLOCK_OFFSET ($SERVERS_PORT_SOURCE): PostgreSQL $PG_PRIMARY_PORT, Kafka $KAFKA_PORT, Redis $REDIS_STANDALONE_PORT"
# Servers that a deleted checkout left on this block's ports are stopped; other holders are errors
# (before the offset is recorded, so that a failed try with SERVERS_PORT_OFFSET leaves no trace).
claim_block start
ports_adopt

ensure_system_packages

# The two downloads/builds run in the background while PostgreSQL and Redis start.
install_kafka_bg=""
install_ferret_bg=""
# On failure, let a background install finish (it holds the lock too) before exiting.
trap 'for p in $install_kafka_bg $install_ferret_bg; do wait "$p" 2>/dev/null || true; done' EXIT
if ! kafka_installed; then ( install_kafka ) & install_kafka_bg=$!; fi
if ! ferretdb_installed; then ( install_ferretdb ) & install_ferret_bg=$!; fi

pg_prepare_root
pg_init_primary
pg_start primary
pg_init_replica
pg_start replica
wait_for 60 "the replica to stream from the primary" pg_replica_streaming ||
  { log_tail "$LOGS/postgres-replica.log"; die "the replica does not stream from the primary; see $LOGS/postgres-replica.log"; }

redis_start all

if [[ -n "$install_kafka_bg" ]]; then wait "$install_kafka_bg" || die "Kafka install failed; see $LOGS/install-kafka.log"; fi
kafka_start

if [[ -n "$install_ferret_bg" ]]; then wait "$install_ferret_bg" || die "FerretDB build failed; see $LOGS/install-ferretdb.log"; fi
ferret_start

server_status >&2
log "all servers ready in $((SECONDS - start_time))s (connection settings: . scripts/servers/env.sh)"
