# Connection settings of the local test servers. Source it:  . scripts/servers/env.sh
# (No `set -e` here: this file is sourced into interactive shells too.)
_servers_env_dir="$(cd "$(dirname "${BASH_SOURCE[0]:-$0}")" && pwd)"
export SERVERS_REPO="$(cd "$_servers_env_dir/../.." && pwd)"
export SERVERS_DIR="$SERVERS_REPO/.servers"
unset _servers_env_dir

# PostgreSQL 15: primary and streaming hot-standby replica.
export PG_HOST=127.0.0.1
export PG_PRIMARY_PORT=55432
export PG_REPLICA_PORT=55433
export PG_USER=postgres
export PG_PASSWORD=postgres
export PG_PRIMARY_URL="postgres://${PG_USER}:${PG_PASSWORD}@${PG_HOST}:${PG_PRIMARY_PORT}/postgres"
export PG_REPLICA_URL="postgres://${PG_USER}:${PG_PASSWORD}@${PG_HOST}:${PG_REPLICA_PORT}/postgres"
# libpq defaults, so that psql/pg_dump reach the primary without flags.
export PGHOST="$PG_HOST" PGPORT="$PG_PRIMARY_PORT" PGUSER="$PG_USER" PGPASSWORD="$PG_PASSWORD"

# Kafka (KRaft, single combined broker+controller node).
export KAFKA_BOOTSTRAP=127.0.0.1:59092
export KAFKA_CONTROLLER=127.0.0.1:59093
# A second Kafka cluster (same version), the other region of the cross-region (MirrorMaker 2) tests.
export KAFKA2_BOOTSTRAP=127.0.0.1:59192
export KAFKA2_CONTROLLER=127.0.0.1:59193

# Redis: standalone, and a cluster of 3 masters (57001-57003) with one replica each (57004-57006);
# cluster bus ports are 47001-47006.
export REDIS_URL=redis://127.0.0.1:56379
export REDIS_CLUSTER_NODES=127.0.0.1:57001,127.0.0.1:57002,127.0.0.1:57003
export REDIS_CLUSTER_REPLICA_NODES=127.0.0.1:57004,127.0.0.1:57005,127.0.0.1:57006

# MongoDB wire protocol (FerretDB over SQLite).
export MONGODB_URL=mongodb://127.0.0.1:57017/
