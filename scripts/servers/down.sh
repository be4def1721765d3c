#!/usr/bin/env bash
# Stops every local test server. With --purge it also deletes their data (installed jars, binaries
# and download caches stay), so that the next up.sh starts from empty servers.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

purge=0
case "${1:-}" in
  "") ;;
  --purge) purge=1 ;;
  *) die "usage: $0 [--purge]" ;;
esac

take_lock
mm2_stop
kafka_stop kafka2
ferret_stop
kafka_stop kafka
redis_stop all
pg_stop replica
pg_stop primary

if ((purge)); then
  log "deleting server data under $SD"
  rm -rf "${PG_PRIMARY_DATA:?}" "${PG_REPLICA_DATA:?}"
  rm -rf "$KAFKA_DATA" "$KAFKA_HOME/data.version" "$KAFKA2_HOME" "$REDIS_HOME" "$FERRET_HOME"
fi
log "all servers stopped"
