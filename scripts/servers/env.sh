# shellcheck shell=bash
# Connection settings of the local test servers. Source it:  . scripts/servers/env.sh
# (No `set -e` here: this file is sourced into interactive shells too.)
_servers_env_dir="$(cd "$(dirname "${BASH_SOURCE[0]:-$0}")" && pwd -P)"
SERVERS_REPO="$(cd "$_servers_env_dir/../.." && pwd -P)"
export SERVERS_REPO
export SERVERS_DIR="$SERVERS_REPO/.servers"
unset _servers_env_dir

# ---------------------------------------------------------------- port block of this checkout
# Every port below is a base port plus an offset, so that the servers of different checkouts
# on one machine never meet. test/support/servers.ts computes the same (keep the two in step).
# The offset is, first that applies:
#   1. SERVERS_PORT_OFFSET from the environment (0 gives the base ports);
#   2. the offset this checkout's servers were made with (.servers/port-offset), so they keep it;
#   3. 0 when .servers holds servers made before port blocks existed (they run on the base ports);
#   4. block number md5(checkout path) mod SERVERS_PORT_BLOCKS: offset FIRST + STRIDE * block;
#      a block with a port that a common local service uses by default (SERVERS_PORT_AVOID, e.g.
#      MongoDB's 27017) is passed over for the next one.
# Blocks are 35 apart: no difference between two base ports is a multiple of 35 below 303 * 35,
# so no port of one block equals a port of another, and every block lies within 10001-32763, below
# Linux's ephemeral range (32768-60999) and above the usual well-known ports.
export SERVERS_PORT_BLOCKS=303
SERVERS_PORT_BLOCK_FIRST=-37000
SERVERS_PORT_BLOCK_STRIDE=35
# Every base port: PostgreSQL, Redis standalone, cluster nodes and their bus ports, FerretDB, Kafka
# and kafka2 with their controllers (MirrorMaker 2 listens on none).
# shellcheck disable=SC2034 # read by lib.sh
SERVERS_BASE_PORTS="55432 55433 56379 57001 57002 57003 57004 57005 57006 47001 47002 47003 47004 47005 47006 57017 59092 59093 59192 59193"
SERVERS_PORT_AVOID=" 11211 11434 15672 16686 19999 24224 25672 26379 27017 27018 27019 29092 32400 "
# True when no port of the block with offset $1 is one to avoid.
servers_port_block_usable() {
  local p
  for p in $SERVERS_BASE_PORTS; do [[ "$SERVERS_PORT_AVOID" != *" $((p + $1)) "* ]] || return 1; done
  return 0
}
# SERVERS_PORT_OFFSET is only ever read here (never set), so that a shell that sourced this file
# does not carry one checkout's block into another; the offset in use is SERVERS_PORT_BLOCK_OFFSET.
# SERVERS_PORT_RECORDED is the offset the existing servers' data was made for (empty: none yet).
_servers_offset_file="$SERVERS_DIR/port-offset"
SERVERS_PORT_BLOCK=""
SERVERS_PORT_RECORDED=""
if [[ -s "$_servers_offset_file" ]]; then
  SERVERS_PORT_RECORDED="$(tr -d '[:space:]' <"$_servers_offset_file")"
elif [[ -e "$SERVERS_DIR/redis" || -e "$SERVERS_DIR/kafka/data.version" || -e "$SERVERS_DIR/pg/primary" ]]; then
  SERVERS_PORT_RECORDED=0
fi
if [[ -n "${SERVERS_PORT_OFFSET:-}" ]]; then
  SERVERS_PORT_BLOCK_OFFSET="$SERVERS_PORT_OFFSET"
  SERVERS_PORT_SOURCE="SERVERS_PORT_OFFSET"
elif [[ -n "$SERVERS_PORT_RECORDED" ]]; then
  SERVERS_PORT_BLOCK_OFFSET="$SERVERS_PORT_RECORDED"
  if [[ -s "$_servers_offset_file" ]]; then SERVERS_PORT_SOURCE="$_servers_offset_file"; else SERVERS_PORT_SOURCE="servers made before port blocks"; fi
else
  _servers_hash="$(printf '%s' "$SERVERS_REPO" | md5sum)"
  SERVERS_PORT_BLOCK=$((16#${_servers_hash:0:8} % SERVERS_PORT_BLOCKS))
  until servers_port_block_usable $((SERVERS_PORT_BLOCK_FIRST + SERVERS_PORT_BLOCK_STRIDE * SERVERS_PORT_BLOCK)); do
    SERVERS_PORT_BLOCK=$(((SERVERS_PORT_BLOCK + 1) % SERVERS_PORT_BLOCKS))
  done
  SERVERS_PORT_BLOCK_OFFSET=$((SERVERS_PORT_BLOCK_FIRST + SERVERS_PORT_BLOCK_STRIDE * SERVERS_PORT_BLOCK))
  SERVERS_PORT_SOURCE="block $SERVERS_PORT_BLOCK, from the checkout path"
  unset _servers_hash
fi
unset _servers_offset_file
# Lowest base port 47001, highest 59193: the offset must keep all of them within 1024-65535.
if ! [[ "$SERVERS_PORT_BLOCK_OFFSET" =~ ^(0|-?[1-9][0-9]*)$ ]] ||
  ((SERVERS_PORT_BLOCK_OFFSET < 1024 - 47001 || SERVERS_PORT_BLOCK_OFFSET > 65535 - 59193)); then
  printf '[servers] ERROR: port offset %s (from %s) is not an integer from %s to %s\n' \
    "$SERVERS_PORT_BLOCK_OFFSET" "$SERVERS_PORT_SOURCE" $((1024 - 47001)) $((65535 - 59193)) >&2
  # shellcheck disable=SC2317 # exit when run rather than sourced
  return 1 2>/dev/null || exit 1
fi
export SERVERS_PORT_BLOCK_OFFSET SERVERS_PORT_SOURCE SERVERS_PORT_RECORDED
# PostgreSQL 15: primary and streaming hot-standby replica.
export PG_HOST=127.0.0.1
export PG_PRIMARY_PORT=$((55432 + SERVERS_PORT_BLOCK_OFFSET))
export PG_REPLICA_PORT=$((55433 + SERVERS_PORT_BLOCK_OFFSET))
export PG_USER=postgres
export PG_PASSWORD=postgres
export PG_PRIMARY_URL="postgres://${PG_USER}:${PG_PASSWORD}@${PG_HOST}:${PG_PRIMARY_PORT}/postgres"
export PG_REPLICA_URL="postgres://${PG_USER}:${PG_PASSWORD}@${PG_HOST}:${PG_REPLICA_PORT}/postgres"
# libpq defaults, so that psql/pg_dump reach the primary without flags.
export PGHOST="$PG_HOST" PGPORT="$PG_PRIMARY_PORT" PGUSER="$PG_USER" PGPASSWORD="$PG_PASSWORD"

# Kafka (KRaft, single combined broker+controller node).
export KAFKA_PORT=$((59092 + SERVERS_PORT_BLOCK_OFFSET)) KAFKA_CONTROLLER_PORT=$((59093 + SERVERS_PORT_BLOCK_OFFSET))
export KAFKA_BOOTSTRAP="127.0.0.1:$KAFKA_PORT"
export KAFKA_CONTROLLER="127.0.0.1:$KAFKA_CONTROLLER_PORT"
# A second Kafka cluster (same version), the other region of the cross-region (MirrorMaker 2) tests.
export KAFKA2_PORT=$((59192 + SERVERS_PORT_BLOCK_OFFSET)) KAFKA2_CONTROLLER_PORT=$((59193 + SERVERS_PORT_BLOCK_OFFSET))
export KAFKA2_BOOTSTRAP="127.0.0.1:$KAFKA2_PORT"
export KAFKA2_CONTROLLER="127.0.0.1:$KAFKA2_CONTROLLER_PORT"

# Redis: standalone, and a cluster of 3 masters (base 57001-57003) with one replica each (base
# 57004-57006); each cluster node's bus port is its port - 10000 (base 47001-47006).
export REDIS_STANDALONE_PORT=$((56379 + SERVERS_PORT_BLOCK_OFFSET))
export REDIS_CLUSTER_BUS_DISTANCE=10000
export REDIS_URL="redis://127.0.0.1:$REDIS_STANDALONE_PORT"
REDIS_CLUSTER_NODES="" REDIS_CLUSTER_REPLICA_NODES="" REDIS_CLUSTER_PORT_LIST=""
for _servers_p in 57001 57002 57003 57004 57005 57006; do
  _servers_p=$((_servers_p + SERVERS_PORT_BLOCK_OFFSET))
  REDIS_CLUSTER_PORT_LIST="${REDIS_CLUSTER_PORT_LIST:+$REDIS_CLUSTER_PORT_LIST }$_servers_p"
  if ((_servers_p - SERVERS_PORT_BLOCK_OFFSET <= 57003)); then
    REDIS_CLUSTER_NODES="${REDIS_CLUSTER_NODES:+$REDIS_CLUSTER_NODES,}127.0.0.1:$_servers_p"
  else
    REDIS_CLUSTER_REPLICA_NODES="${REDIS_CLUSTER_REPLICA_NODES:+$REDIS_CLUSTER_REPLICA_NODES,}127.0.0.1:$_servers_p"
  fi
done
unset _servers_p
export REDIS_CLUSTER_NODES REDIS_CLUSTER_REPLICA_NODES REDIS_CLUSTER_PORT_LIST

# MongoDB wire protocol (FerretDB over SQLite).
export FERRETDB_PORT=$((57017 + SERVERS_PORT_BLOCK_OFFSET))
export MONGODB_URL="mongodb://127.0.0.1:$FERRETDB_PORT/"
