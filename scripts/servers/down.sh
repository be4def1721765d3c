#!/usr/bin/env bash
# Stops every local test server, and the servers that a deleted earlier copy of this checkout left
# on its ports. Each gets SIGKILL when it does not stop in time. With --purge it also deletes their
# data (installed jars, binaries and download caches stay), so that the next up.sh starts from empty
# servers, on the port block of the checkout's path (unless SERVERS_PORT_OFFSET says otherwise).
set -euo pipefail
# shellcheck source=lib.sh
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
claim_block stop

if ((purge)); then
  log "deleting server data under $SD"
  rm -rf "${PG_PRIMARY_DATA:?}" "${PG_REPLICA_DATA:?}"
  # PostgreSQL's data kept outside the checkout (see pg_prepare_root) goes with it.
  if [[ -L "$PG_LINK" ]]; then rm -rf "${PG_ROOT:?}"; rm -f "$PG_LINK"; fi
  rm -rf "$KAFKA_DATA" "$KAFKA_HOME/data.version" "$KAFKA2_HOME" "$REDIS_HOME" "$FERRET_HOME" "$PORT_OFFSET_FILE"
fi
log "all servers stopped"
