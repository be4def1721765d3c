#!/usr/bin/env bash
# Controls one local test server, e.g. for fault tests:
#   ctl.sh restart kafka      ctl.sh kill postgres (SIGKILL)      ctl.sh status
# Servers: postgres (primary), replica, kafka, redis (all Redis processes), redis-cluster,
#          redis-standalone, ferretdb, all; and, not part of `all` nor of up.sh, kafka2 (a second
#          Kafka cluster) and mirror-maker (MirrorMaker 2 on $MM2_PROPERTIES), for cross-region tests.
# start waits until the server is ready; it does not install anything (up.sh does; for
# mirror-maker: ctl.sh install mirror-maker).
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() { die "usage: $0 <start|stop|kill|restart|status> [${SERVER_NAMES// /|}|all]  |  $0 install mirror-maker"; }

action="${1:-}"
name="${2:-all}"
[[ -n "$action" ]] || usage
if [[ "$action" == status ]]; then server_status; exit 0; fi
if [[ "$action" == install ]]; then
  [[ "$name" == mirror-maker ]] || die "install: only 'mirror-maker' (up.sh installs the others)"
  take_lock
  ensure_system_packages
  install_mirror_maker
  exit 0
fi

case "$name" in
  all) names=(postgres replica redis kafka ferretdb) ;;
  *) [[ " $SERVER_NAMES " == *" $name "* ]] || die "unknown server '$name' (one of: $SERVER_NAMES, all)"; names=("$name") ;;
esac

take_lock
# A stale server (of a deleted checkout) on a port of the named servers is stopped in every case.
# shellcheck disable=SC2046
stale_only() {
  for n in "${names[@]}"; do
    claim_ports stop $(server_ports "$n")
    if [[ "$n" == mirror-maker ]]; then stop_stale_mirror_maker; fi
  done
}
case "$action" in
  start)
    # shellcheck disable=SC2046
    for n in "${names[@]}"; do claim_ports start $(server_ports "$n"); done
    ports_adopt
    for n in "${names[@]}"; do server_start "$n"; done
    ;;
  stop) for n in "${names[@]}"; do server_stop "$n"; done; stale_only ;;
  kill) for n in "${names[@]}"; do server_kill "$n"; done; stale_only ;;
  restart)
    # shellcheck disable=SC2046
    for n in "${names[@]}"; do claim_ports start $(server_ports "$n"); done
    ports_adopt
    for n in "${names[@]}"; do server_stop "$n"; done
    for n in "${names[@]}"; do server_start "$n"; done
    ;;
  *) usage ;;
esac
