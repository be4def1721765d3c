# shellcheck shell=bash
# Shared functions of up.sh, down.sh and ctl.sh. Sourced, never run directly.
# Every server runs as a plain process; all state, data and logs live under $SERVERS_DIR (.servers/).

SCRIPTS="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=versions.env
. "$SCRIPTS/versions.env"
# shellcheck source=env.sh
. "$SCRIPTS/env.sh" || exit 1

SD="$SERVERS_DIR"
LOGS="$SD/logs"
PG_BIN="/usr/lib/postgresql/$POSTGRES_MAJOR/bin"
PG_LINK="$SD/pg"                  # owned by the postgres OS user (may be a symlink, see pg_prepare_root)
# Paths handed to PostgreSQL programs: the real ones, as the postgres user may not resolve the link.
pg_resolve_paths() {
  PG_ROOT="$PG_LINK"
  PG_LOG_DIR="$LOGS"
  if [[ -L "$PG_LINK" ]]; then
    PG_ROOT="$(readlink -f "$PG_LINK")"
    PG_LOG_DIR="$PG_ROOT/log"
  fi
  PG_PRIMARY_DATA="$PG_ROOT/primary"
  PG_REPLICA_DATA="$PG_ROOT/replica"
  PG_SOCKETS="$PG_ROOT/run"
}
PG_SLOT="replica_$PG_REPLICA_PORT"
KAFKA_HOME="$SD/kafka"
KAFKA_LIBS="$KAFKA_HOME/libs"
KAFKA_DATA="$KAFKA_HOME/data"
KAFKA_CONF="$KAFKA_HOME/config"
KAFKA_PIDFILE="$KAFKA_HOME/kafka.pid"
KAFKA_LOG="$LOGS/kafka.log"
KAFKA_HEAP="${KAFKA_HEAP:-512m}"
# A second, independent Kafka cluster (same version and jars) for the cross-region tests.
KAFKA2_HOME="$SD/kafka2"
KAFKA2_HEAP="${KAFKA2_HEAP:-384m}"
# MirrorMaker 2 (dedicated mode) replicating kafka -> kafka2; its jars come from the image's pom.
MM2_HOME="$SD/mirror-maker"
MM2_LIBS="$MM2_HOME/libs"
MM2_POM="$SCRIPTS/../../lib/replication/mirror-maker/pom.xml"
MM2_LOG4J="$SCRIPTS/../../lib/replication/mirror-maker/log4j2.properties"
MM2_PROPERTIES="${MM2_PROPERTIES:-$MM2_HOME/mm2.properties}"
MM2_PIDFILE="$MM2_HOME/mirror-maker.pid"
MM2_LOG="$LOGS/mirror-maker.log"
MM2_HEAP="${MM2_HEAP:-384m}"
FERRET_HOME="$SD/ferretdb"
FERRET_BIN="$SD/bin/ferretdb"
FERRET_PIDFILE="$FERRET_HOME/ferretdb.pid"
FERRET_LOG="$LOGS/ferretdb.log"
FERRET_PORT="$FERRETDB_PORT"
REDIS_HOME="$SD/redis"
# The first three cluster ports are the masters, the other three their replicas (env.sh).
read -r -a REDIS_CLUSTER_PORTS <<<"$REDIS_CLUSTER_PORT_LIST"
REDIS_CLUSTER_MASTERS=("${REDIS_CLUSTER_PORTS[@]:0:3}")
REDIS_CLUSTER_REPLICAS=("${REDIS_CLUSTER_PORTS[@]:3:3}")
PORT_OFFSET_FILE="$SD/port-offset"
# Download and build caches. SERVERS_CACHE may point elsewhere (e.g. a machine-wide directory) so
# that fresh checkouts on the same machine skip the downloads and the FerretDB build.
CACHE="${SERVERS_CACHE:-$SD/cache}"
M2_REPO="$CACHE/m2"
GO_CACHE_ROOT="$CACHE/go"

mkdir -p "$SD" "$LOGS" "$SD/bin"
pg_resolve_paths

log() { printf '[servers %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf '[servers] ERROR: %s\n' "$*" >&2; exit 1; }
have() { command -v "$1" >/dev/null 2>&1; }

# Last lines of a log file, for error messages.
log_tail() {
  local f="$1"
  if [[ -f "$f" ]]; then
    printf -- '--- last lines of %s ---\n' "$f" >&2
    tail -n 25 "$f" >&2 || true
    printf -- '--- end of %s ---\n' "$f" >&2
  fi
}

# True when something accepts TCP connections on 127.0.0.1:$1.
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") >/dev/null 2>&1; }

# Direct children of a pid (from /proc, no procps needed).
child_pids() {
  local parent="$1" stat rest f
  for f in /proc/[0-9]*/stat; do
    read -r stat 2>/dev/null <"$f" || continue
    rest="${stat##*) }"            # fields after "pid (comm) "
    rest="${rest#* }"              # drop the state field
    [[ "${rest%% *}" == "$parent" ]] && { f="${f#/proc/}"; printf '%s ' "${f%/stat}"; }
  done
  return 0
}

# True when the process exists and is not a zombie.
pid_alive() {
  [[ -n "${1:-}" ]] && kill -0 "$1" 2>/dev/null || return 1
  local stat
  read -r stat 2>/dev/null <"/proc/$1/stat" || return 1
  stat="${stat##*) }"
  [[ "${stat:0:1}" != Z ]]
}

# pid from a pid file if that process is alive and its command line contains $2.
pid_from_file() {
  local file="$1" marker="$2" pid
  [[ -s "$file" ]] || return 1
  pid="$(head -n 1 "$file" | tr -d '[:space:]')"
  pid_alive "$pid" || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -F -- "$marker" >/dev/null || return 1
  printf '%s\n' "$pid"
}

# Wait until "$@" succeeds, up to $1 seconds. Usage: wait_for SECONDS DESCRIPTION cmd args...
wait_for() {
  local secs="$1" what="$2"; shift 2
  local deadline=$((SECONDS + secs))
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS >= deadline)); then
      printf '[servers] timed out after %ss waiting for %s\n' "$secs" "$what" >&2
      return 1
    fi
    sleep 0.3
  done
}

# Wait until pid exits, up to $2 seconds.
wait_pid_exit() {
  local pid="$1" secs="$2" deadline=$((SECONDS + $2))
  while pid_alive "$pid"; do
    ((SECONDS >= deadline)) && return 1
    sleep 0.2
  done
}

# Sends SIGNAL, waits up to SECS, then SIGKILLs the process (and EXTRA pids, e.g. PostgreSQL's
# backends) and says so. Usage: stop_process PID WHAT SIGNAL SECS [EXTRA...]
stop_process() {
  local pid="$1" what="$2" sig="$3" secs="$4"; shift 4
  kill -"$sig" "$pid" 2>/dev/null || return 0
  wait_pid_exit "$pid" "$secs" && return 0
  log "$what (pid $pid) did not stop within ${secs}s of SIG$sig; killed it (SIGKILL)"
  kill -KILL "$pid" "$@" 2>/dev/null || true
  wait_pid_exit "$pid" 10 || { log "$what (pid $pid) is still there 10s after SIGKILL"; return 1; }
}

# Send SIGTERM, wait, then SIGKILL.
term_then_kill() { stop_process "$1" "$3" TERM "$2" || true; }

# Start a long-running command detached from this shell (own session, no terminal), writing its pid.
# Usage: spawn PIDFILE LOGFILE cmd args...
spawn() {
  local pidfile="$1" logfile="$2"; shift 2
  rm -f "$pidfile"
  # shellcheck disable=SC2016 # expanded by the inner shell
  setsid bash -c 'echo $$ >"$0"; exec "$@"' "$pidfile" "$@" >>"$logfile" 2>&1 </dev/null 9>&- &
  local i
  for i in $(seq 1 50); do [[ -s "$pidfile" ]] && return 0; sleep 0.1; done
  die "could not start $1 (no pid file $pidfile); see $logfile"
}

# ---------------------------------------------------------------- this checkout's ports
# env.sh gives this checkout a block of ports of its own. A port of the block that something else
# holds is either a server of these scripts left by a checkout that is gone (stopped here, and the
# log says so) or a conflict that fails with the process, its checkout and what to do.

# "port what" for every port of the block.
block_ports() {
  local p
  printf '%s %s\n' "$PG_PRIMARY_PORT" "PostgreSQL primary" "$PG_REPLICA_PORT" "PostgreSQL replica" \
    "$REDIS_STANDALONE_PORT" "Redis standalone" "$FERRET_PORT" FerretDB \
    "$KAFKA_PORT" kafka "$KAFKA_CONTROLLER_PORT" "kafka controller" "$KAFKA2_PORT" kafka2 "$KAFKA2_CONTROLLER_PORT" "kafka2 controller"
  for p in "${REDIS_CLUSTER_PORTS[@]}"; do
    printf '%s %s\n' "$p" "Redis cluster node" "$((p - REDIS_CLUSTER_BUS_DISTANCE))" "Redis cluster bus of $p"
  done
}

# The ports a server (a ctl.sh name) listens on.
server_ports() {
  local p
  case "$1" in
    postgres) echo "$PG_PRIMARY_PORT" ;;
    replica) echo "$PG_REPLICA_PORT" ;;
    kafka) echo "$KAFKA_PORT $KAFKA_CONTROLLER_PORT" ;;
    kafka2) echo "$KAFKA2_PORT $KAFKA2_CONTROLLER_PORT" ;;
    redis-standalone) echo "$REDIS_STANDALONE_PORT" ;;
    redis-cluster | redis)
      [[ "$1" == redis ]] && echo "$REDIS_STANDALONE_PORT"
      for p in "${REDIS_CLUSTER_PORTS[@]}"; do echo "$p $((p - REDIS_CLUSTER_BUS_DISTANCE))"; done
      ;;
    ferretdb) echo "$FERRET_PORT" ;;
    *) ;;
  esac
}

port_what() { block_ports | awk -v p="$1" '$1 == p { sub(/^[0-9]+ /, ""); print; exit }'; }

port_closed() { ! port_open "$1"; }

# Pids of the processes listening on TCP port $1 (those this user may see).
port_pids() {
  local port="$1"
  if have ss; then
    ss -tlnpH "sport = :$port" 2>/dev/null | grep -o 'pid=[0-9]*' | cut -d= -f2 | sort -un
    return 0
  fi
  # Without ss: the listening socket's inode from /proc/net/tcp*, then the process that holds it.
  local hex inode f
  hex="$(printf '%04X' "$port")"
  awk -v h=":$hex" '$2 ~ h"$" && $4 == "0A" { print $10 }' /proc/net/tcp /proc/net/tcp6 2>/dev/null |
    while read -r inode; do
      for f in /proc/[0-9]*/fd/*; do
        [[ "$(readlink "$f" 2>/dev/null)" == "socket:[$inode]" ]] && { f="${f#/proc/}"; echo "${f%%/*}"; }
      done
    done | sort -un
}

# The listening process: of several (forked children share the socket), the one whose parent is
# not among them.
port_owner() {
  local pids pid ppid stat
  pids=" $(port_pids "$1" | paste -sd' ') "
  for pid in $pids; do
    read -r stat 2>/dev/null <"/proc/$pid/stat" || continue
    stat="${stat##*) }"; stat="${stat#* }"; ppid="${stat%% *}"
    [[ "$pids" == *" $ppid "* ]] || { echo "$pid"; return 0; }
  done
  return 0
}

# The checkout of a path below <checkout>/.servers/ (a deleted one included).
checkout_of() {
  local p="${1% (deleted)}"
  [[ "$p" == */.servers/* ]] || return 1
  printf '%s\n' "${p%/.servers/*}"
}

# What a process is, as far as these scripts are concerned. Sets OWN_KIND (postgres, redis, kafka,
# kafka2, ferretdb, mirror-maker or empty), OWN_CHECKOUT (empty when unknown), OWN_CURRENT (1 when
# that checkout's pid file names the process) and OWN_CMD (its command line, shortened).
classify_pid() {
  local pid="$1" args=() i data="" cwd pidfile=""
  OWN_KIND="" OWN_CHECKOUT="" OWN_CURRENT=0 OWN_CMD=""
  mapfile -d '' -t args <"/proc/$pid/cmdline" 2>/dev/null || return 0
  ((${#args[@]})) || return 0
  OWN_CMD="$(printf '%s ' "${args[@]}" | cut -c1-240)"
  OWN_CMD="${OWN_CMD% }"
  cwd="$(readlink "/proc/$pid/cwd" 2>/dev/null || true)"
  if [[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == redis-server ]]; then
    # Redis rewrites its command line; its working directory is its dir (.servers/redis/<port>).
    OWN_KIND=redis
    OWN_CHECKOUT="$(checkout_of "$cwd")" && pidfile="${cwd% (deleted)}/redis.pid"
  elif [[ "${args[0]##*/}" == postgres ]]; then
    for ((i = 1; i < ${#args[@]}; i++)); do [[ "${args[i - 1]}" == -D ]] && data="${args[i]}"; done
    [[ -n "$data" ]] || return 0
    OWN_KIND=postgres
    # Data kept outside the checkout (see pg_prepare_root) names its checkout in a file beside it.
    OWN_CHECKOUT="$(checkout_of "$data" || head -n 1 "${data%/*}/checkout" 2>/dev/null)" || true
    [[ -n "$OWN_CHECKOUT" ]] && pidfile="$OWN_CHECKOUT/.servers/pg/${data##*/}/postmaster.pid"
  elif [[ "${args[0]}" == */.servers/bin/ferretdb ]]; then
    OWN_KIND=ferretdb
    OWN_CHECKOUT="$(checkout_of "${args[0]}")" && pidfile="$OWN_CHECKOUT/.servers/ferretdb/ferretdb.pid"
  else
    for ((i = 1; i < ${#args[@]}; i++)); do
      case "${args[i - 1]}" in
        kafka.Kafka)
          OWN_CHECKOUT="$(checkout_of "${args[i]}")" || return 0
          OWN_KIND="${args[i]#"$OWN_CHECKOUT"/.servers/}"; OWN_KIND="${OWN_KIND%%/*}"
          pidfile="$OWN_CHECKOUT/.servers/$OWN_KIND/kafka.pid"
          ;;
        -cp)
          [[ " ${args[*]} " == *" org.apache.kafka.connect.mirror.MirrorMaker "* ]] || continue
          OWN_CHECKOUT="$(checkout_of "${args[i]}")" || return 0
          OWN_KIND=mirror-maker pidfile="$OWN_CHECKOUT/.servers/mirror-maker/mirror-maker.pid"
          ;;
      esac
    done
  fi
  [[ -n "$pidfile" && "$(head -n 1 "$pidfile" 2>/dev/null | tr -d '[:space:]')" == "$pid" ]] && OWN_CURRENT=1
  return 0
}

# Why the classified process is stale (printed; empty when it is not): a server of these scripts
# whose checkout, or that checkout's .servers, is gone, or one that an earlier copy of this very
# checkout left running (no pid file here names it).
stale_reason() {
  [[ -n "$OWN_KIND" && -n "$OWN_CHECKOUT" ]] || return 0
  if [[ ! -d "$OWN_CHECKOUT" ]]; then echo "its checkout $OWN_CHECKOUT no longer exists"
  elif [[ ! -d "$OWN_CHECKOUT/.servers" ]]; then echo "its checkout's $OWN_CHECKOUT/.servers no longer exists"
  elif [[ "$OWN_CHECKOUT" == "$SERVERS_REPO" ]] && ((!OWN_CURRENT)); then
    echo "no pid file under this checkout's .servers names it (an earlier copy of the checkout at this path started it, or its files were deleted)"
  fi
}

# Stops a stale server: SIGTERM (SIGINT for PostgreSQL: its fast shutdown; SIGTERM would wait for
# its clients), then SIGKILL after a bounded wait. A Redis whose directory is gone cannot save its
# snapshot and ignores SIGTERM: it gets the SIGKILL.
stop_stale() {
  local pid="$1" what="$2" why="$3" sig=TERM secs=20 kids=()
  if [[ "$OWN_KIND" == postgres ]]; then sig=INT; read -r -a kids <<<"$(child_pids "$pid")"; fi
  [[ "$OWN_KIND" == redis ]] && secs=5
  log "stopping stale $what (pid $pid): $why"
  stop_process "$pid" "stale $what" "$sig" "$secs" "${kids[@]}" || die "could not stop the stale $what (pid $pid)"
}

# The offset of the first block after this checkout's whose ports are all free (for messages).
free_port_offset() {
  local i n off p busy start="${SERVERS_PORT_BLOCK:-0}"
  for ((i = 1; i <= SERVERS_PORT_BLOCKS; i++)); do
    n=$(((start + i) % SERVERS_PORT_BLOCKS))
    off=$((SERVERS_PORT_BLOCK_FIRST + SERVERS_PORT_BLOCK_STRIDE * n))
    servers_port_block_usable "$off" || continue
    busy=0
    for p in $SERVERS_BASE_PORTS; do if port_open $((p + off)); then busy=1; break; fi; done
    ((busy)) || { echo "$off"; return 0; }
  done
  echo "<offset>"
}

# Makes sure a port of this checkout's block is free for one of its servers (or is held by that
# server itself). Stale servers on it are stopped; with MODE start (the default), anything else
# holding it is an error that says what holds it and what to do; with MODE stop it is left alone.
# Usage: claim_port PORT [WHAT] [start|stop]
claim_port() {
  local port="$1" what="${2:-}" mode="${3:-start}" pid why advice
  port_open "$port" || return 0
  [[ -n "$what" ]] || what="$(port_what "$port")"
  # A server that is exiting (e.g. Kafka after its log directories vanished) may still accept
  # connections without a listener to show for a moment: wait for one or the other.
  local tries=0
  until pid="$(port_owner "$port")"; [[ -n "$pid" ]] || ((++tries > 20)); do
    port_open "$port" || return 0
    sleep 0.25
  done
  if [[ -n "$pid" ]]; then
    classify_pid "$pid"
    [[ "$OWN_CHECKOUT" == "$SERVERS_REPO" ]] && ((OWN_CURRENT)) && return 0
    why="$(stale_reason)"
    if [[ -n "$why" ]]; then
      stop_stale "$pid" "$OWN_KIND on port $port" "$why"
      wait_for 15 "port $port to be free" port_closed "$port" || die "port $port is still taken after stopping pid $pid"
      return 0
    fi
  fi
  [[ "$mode" == stop ]] && return 0
  advice="give this checkout another port block: SERVERS_PORT_OFFSET=$(free_port_offset) bash scripts/servers/up.sh (then run the tests with the same SERVERS_PORT_OFFSET, or not at all: .servers/port-offset keeps it)"
  if [[ -z "$pid" ]]; then
    die "port $port is taken by a process this user cannot see ($what needs it). Find it with: sudo ss -ltnp 'sport = :$port'; or $advice"
  elif [[ -n "$OWN_KIND" && -n "$OWN_CHECKOUT" ]]; then
    die "port $port is taken by $OWN_KIND (pid $pid) of the checkout $OWN_CHECKOUT, which still runs its servers ($what needs the port). Stop them: bash $OWN_CHECKOUT/scripts/servers/down.sh; or $advice"
  elif [[ -n "$OWN_KIND" ]]; then
    die "port $port is taken by $OWN_KIND (pid $pid: $OWN_CMD), whose checkout cannot be told ($what needs the port). If its checkout is gone, stop it: kill $pid; or $advice"
  else
    die "port $port is taken by a process these scripts did not start (pid $pid: $OWN_CMD; $what needs it). Stop it, or $advice"
  fi
}

# claim_port for several ports. Usage: claim_ports start|stop PORT...
claim_ports() {
  local mode="$1" p; shift
  for p in "$@"; do claim_port "$p" "" "$mode"; done
}

# MirrorMaker 2 listens on no port: one that an earlier copy of this checkout left running would
# keep replicating between this checkout's Kafka ports. Stop it.
stop_stale_mirror_maker() {
  local f pid why
  while read -r f; do
    pid="${f#/proc/}"; pid="${pid%/cmdline}"
    classify_pid "$pid"
    [[ "$OWN_KIND" == mirror-maker && "$OWN_CHECKOUT" == "$SERVERS_REPO" ]] || continue
    why="$(stale_reason)"
    if [[ -n "$why" ]]; then stop_stale "$pid" "MirrorMaker 2" "$why"; fi
  done < <(grep -lF "$SERVERS_REPO/.servers/mirror-maker/" /proc/[0-9]*/cmdline 2>/dev/null || true)
  return 0
}

# Every port of the block (up.sh before it starts anything; down.sh with MODE stop).
claim_block() {
  local mode="$1"
  # shellcheck disable=SC2046
  claim_ports "$mode" $(block_ports | cut -d' ' -f1)
  stop_stale_mirror_maker
}

# Records the port offset this checkout's servers are made for (.servers/port-offset). When it
# changes (SERVERS_PORT_OFFSET given), stops them first and drops the data that holds the old
# ports: the replica (its port, the primary's port, its slot's name) and the Redis nodes (the
# cluster's node table). The rest keeps its data; configs with ports are rewritten at each start.
ports_adopt() {
  local old="$SERVERS_PORT_RECORDED" new="$SERVERS_PORT_BLOCK_OFFSET"
  if [[ -n "$old" && "$old" != "$new" ]]; then
    log "port offset changes from $old to $new ($SERVERS_PORT_SOURCE): stopping this checkout's servers; the replica and the Redis nodes are rebuilt on the new ports"
    mm2_stop
    kafka_stop kafka2
    ferret_stop
    kafka_stop kafka
    redis_stop all
    local f pid
    # Redis nodes of the old ports: their pid files are in directories named after those ports.
    for f in "$REDIS_HOME"/*/redis.pid; do
      pid="$(pid_from_file "$f" redis-server)" && stop_process "$pid" "Redis of ${f%/redis.pid}" TERM 20
    done
    pg_stop replica
    pg_stop primary
    [[ -e "$PG_REPLICA_DATA" ]] && as_pg rm -rf "${PG_REPLICA_DATA:?}"
    rm -rf "${REDIS_HOME:?}"
  fi
  [[ "$old" == "$new" && -s "$PORT_OFFSET_FILE" ]] || echo "$new" >"$PORT_OFFSET_FILE"
  SERVERS_PORT_RECORDED="$new"
}

# ---------------------------------------------------------------- installation

APT_UPDATED=0
apt_install() {
  local sudo=()
  if ((EUID != 0)); then
    if have sudo && sudo -n true 2>/dev/null; then sudo=(sudo -n); else
      die "missing Debian packages: $*. Install them as root: apt-get update && apt-get install -y $*"
    fi
  fi
  log "installing Debian packages: $*"
  if ((APT_UPDATED == 0)); then
    "${sudo[@]}" apt-get -o DPkg::Lock::Timeout=300 update -qq >>"$LOGS/apt.log" 2>&1 ||
      { log_tail "$LOGS/apt.log"; die "apt-get update failed; see $LOGS/apt.log"; }
    APT_UPDATED=1
  fi
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -q \
    --no-install-recommends "$@" >>"$LOGS/apt.log" 2>&1 ||
    { log_tail "$LOGS/apt.log"; die "apt-get install $* failed; see $LOGS/apt.log"; }
}

java_major() {
  local v=""
  have java && v="$(java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n 1)"
  echo "${v:-0}"
}

ensure_system_packages() {
  local pkgs=()
  [[ -x "$PG_BIN/postgres" && -x "$PG_BIN/initdb" ]] || pkgs+=("postgresql-$POSTGRES_MAJOR")
  [[ -x "$PG_BIN/psql" && -x "$PG_BIN/pg_basebackup" ]] || pkgs+=("postgresql-client-$POSTGRES_MAJOR")
  have redis-server || pkgs+=(redis-server)
  have redis-cli || pkgs+=(redis-tools)
  if (($(java_major) < 17)) && [[ ! -x /usr/lib/jvm/java-17-openjdk-amd64/bin/java ]]; then pkgs+=(openjdk-17-jre-headless); fi
  have mvn || pkgs+=(maven)
  have setsid || pkgs+=(util-linux)
  ((${#pkgs[@]} == 0)) || apt_install "${pkgs[@]}"
  # Debian puts java on PATH through alternatives; if an older JDK still wins, prefer 17.
  if (($(java_major) < 17)) && [[ -x /usr/lib/jvm/java-17-openjdk-amd64/bin/java ]]; then
    export PATH="/usr/lib/jvm/java-17-openjdk-amd64/bin:$PATH"
  fi
  (($(java_major) >= 17)) || die "Java 17+ is needed for Kafka; found: $(java -version 2>&1 | head -n 1)"
}

kafka_stamp() { echo "kafka_${KAFKA_SCALA_VERSION}-${KAFKA_VERSION} log4j-${LOG4J_VERSION}"; }

kafka_installed() { [[ -f "$KAFKA_LIBS/.installed" && "$(cat "$KAFKA_LIBS/.installed")" == "$(kafka_stamp)" ]]; }

# Broker jars from Maven Central: a generated pom + dependency:copy-dependencies.
install_kafka() {
  kafka_installed && return 0
  log "fetching Kafka $KAFKA_VERSION jars from Maven Central (log: $LOGS/install-kafka.log)"
  local build="$KAFKA_HOME/build"
  rm -rf "$build" "$KAFKA_LIBS.tmp"
  mkdir -p "$build" "$M2_REPO"
  cat >"$build/pom.xml" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.servers</groupId>
  <artifactId>kafka-broker-runtime</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.apache.kafka</groupId>
      <artifactId>kafka_${KAFKA_SCALA_VERSION}</artifactId>
      <version>${KAFKA_VERSION}</version>
    </dependency>
    <dependency>
      <groupId>org.apache.logging.log4j</groupId>
      <artifactId>log4j-core</artifactId>
      <version>${LOG4J_VERSION}</version>
    </dependency>
    <dependency>
      <groupId>org.apache.logging.log4j</groupId>
      <artifactId>log4j-slf4j-impl</artifactId>
      <version>${LOG4J_VERSION}</version>
    </dependency>
  </dependencies>
</project>
EOF
  if ! (cd "$build" && mvn -B -q -Dmaven.repo.local="$M2_REPO" dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$KAFKA_LIBS.tmp") >>"$LOGS/install-kafka.log" 2>&1; then
    log_tail "$LOGS/install-kafka.log"
    die "fetching the Kafka jars failed; see $LOGS/install-kafka.log"
  fi
  ls "$KAFKA_LIBS.tmp/kafka_${KAFKA_SCALA_VERSION}-${KAFKA_VERSION}.jar" >/dev/null 2>&1 ||
    die "Kafka jar missing after Maven run; see $LOGS/install-kafka.log"
  rm -rf "$KAFKA_LIBS"
  mv "$KAFKA_LIBS.tmp" "$KAFKA_LIBS"
  kafka_stamp >"$KAFKA_LIBS/.installed"
}

# Download the module source, add the version file, build into .servers/bin. Usage: ferretdb_build SRC_COPY
ferretdb_build() {
  local src="$1" dir
  dir="$(go mod download -json "github.com/FerretDB/FerretDB@$FERRETDB_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')" || return 1
  [[ -n "$dir" && -d "$dir" ]] || { echo "go mod download gave no source directory"; return 1; }
  rm -rf "$src" && cp -r "$dir" "$src" && chmod -R u+w "$src" &&
    echo "$FERRETDB_VERSION" >"$src/build/version/version.txt" &&
    (cd "$src" && GOBIN="$SD/bin" go install -trimpath ./cmd/ferretdb)
}

ferretdb_installed() {
  [[ -x "$FERRET_BIN" ]] && "$FERRET_BIN" --version 2>/dev/null | grep -x "version: $FERRETDB_VERSION" >/dev/null
}

# FerretDB is built from its Go module source. A plain `go install ...@version` builds a binary that
# panics at start ("Invalid build/version/version.txt"): the version file is generated by FerretDB's
# own build tooling and is not part of the module. So: download the module, write that file, build.
install_ferretdb() {
  ferretdb_installed && return 0
  local ilog="$LOGS/install-ferretdb.log" src="$CACHE/ferretdb-src-$$" cached="$CACHE/bin/ferretdb-$FERRETDB_VERSION"
  if [[ -x "$cached" ]]; then
    cp "$cached" "$FERRET_BIN.tmp" && mv "$FERRET_BIN.tmp" "$FERRET_BIN"
    if ferretdb_installed; then log "FerretDB $FERRETDB_VERSION taken from $cached"; return 0; fi
  fi
  log "building FerretDB $FERRETDB_VERSION from its Go module (log: $ilog)"
  have go || die "Go is not installed: FerretDB is built from its Go module (Go >= 1.21 needed). Install Go and re-run."
  export GOMODCACHE="$GO_CACHE_ROOT/mod" GOCACHE="$GO_CACHE_ROOT/build" GOFLAGS="-mod=mod -buildvcs=false"
  # FerretDB's go.mod asks for Go 1.24; an older local Go (>= 1.21) fetches that toolchain as a Go module.
  local gov; gov="$(go env GOVERSION | sed 's/^go//')"
  if [[ "$(printf '%s\n' "$gov" 1.24 | sort -V | head -n 1)" != 1.24 ]]; then export GOTOOLCHAIN=go1.24.3; fi
  ferretdb_build "$src" >>"$ilog" 2>&1 || { log_tail "$ilog"; die "building FerretDB failed; see $ilog"; }
  rm -rf "$src"
  ferretdb_installed || die "FerretDB binary $FERRET_BIN does not report version $FERRETDB_VERSION; see $ilog"
  mkdir -p "$CACHE/bin"
  cp "$FERRET_BIN" "$cached.tmp.$$" && mv "$cached.tmp.$$" "$cached"
}

# ---------------------------------------------------------------- PostgreSQL

# Runs a command as the postgres OS user (from /, which that user can always enter).
as_pg() {
  if ((EUID == 0)); then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}

psql_primary() { as_pg env PGPASSWORD="$PG_PASSWORD" "$PG_BIN/psql" -X -q -At -h 127.0.0.1 -p "$PG_PRIMARY_PORT" -U "$PG_USER" -d postgres -v ON_ERROR_STOP=1 "$@"; }
psql_replica() { as_pg env PGPASSWORD="$PG_PASSWORD" "$PG_BIN/psql" -X -q -At -h 127.0.0.1 -p "$PG_REPLICA_PORT" -U "$PG_USER" -d postgres -v ON_ERROR_STOP=1 "$@"; }

# The data directories belong to the postgres OS user, which must be able to reach them. If the
# checkout lies below a directory that user cannot enter (e.g. /root), .servers/pg becomes a
# symlink to a directory under /var/tmp named after the checkout.
pg_prepare_root() {
  if ((EUID == 0)); then
    id postgres >/dev/null 2>&1 || die "OS user 'postgres' missing (it comes with the postgresql-$POSTGRES_MAJOR package)"
    [[ -L "$PG_LINK" && ! -e "$PG_LINK" ]] && rm -f "$PG_LINK"
    if [[ ! -e "$PG_LINK" ]]; then
      mkdir -p "$PG_LINK"
      chown postgres:postgres "$PG_LINK"
      if ! runuser -u postgres -- test -w "$PG_LINK"; then
        rmdir "$PG_LINK"
        local alt
        alt="/var/tmp/servers-pg-$(printf '%s' "$SERVERS_REPO" | md5sum | cut -c1-12)"
        log "postgres OS user cannot reach $SD; keeping PostgreSQL data and logs in $alt (linked from $PG_LINK)"
        rm -rf "$alt"
        mkdir -p "$alt"
        chown postgres:postgres "$alt"
        chmod 700 "$alt"
        ln -s "$alt" "$PG_LINK"
      fi
    fi
    pg_resolve_paths
    # Names the checkout beside data kept outside it, so that a server left running after the
    # checkout was deleted is still recognised as one of its servers (classify_pid).
    if [[ -L "$PG_LINK" && "$(cat "$PG_ROOT/checkout" 2>/dev/null)" != "$SERVERS_REPO" ]]; then
      printf '%s\n' "$SERVERS_REPO" >"$PG_ROOT/checkout"
    fi
    runuser -u postgres -- test -w "$PG_ROOT/" || die "postgres OS user cannot write $PG_ROOT"
    runuser -u postgres -- mkdir -p "$PG_SOCKETS" "$PG_LOG_DIR"
    local which
    for which in primary replica; do
      touch "$PG_LOG_DIR/postgres-$which.log"
      chown postgres:postgres "$PG_LOG_DIR/postgres-$which.log"
      if [[ "$PG_LOG_DIR" != "$LOGS" ]]; then ln -sfn "$PG_LOG_DIR/postgres-$which.log" "$LOGS/postgres-$which.log"; fi
    done
  else
    mkdir -p "$PG_LINK" "$PG_SOCKETS"
  fi
}

pg_pid() {
  local data="$1" pid
  [[ -s "$data/postmaster.pid" ]] || return 1
  pid="$(head -n 1 "$data/postmaster.pid" 2>/dev/null | tr -d '[:space:]')"
  pid_alive "$pid" || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep postgres >/dev/null || return 1
  echo "$pid"
}

pg_ready() { "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$1" -t 2; }

pg_write_primary_config() {
  local data="$PG_PRIMARY_DATA"
  as_pg tee "$data/servers.conf" >/dev/null <<EOF
# Written by scripts/servers/lib.sh; included from postgresql.conf.
listen_addresses = '127.0.0.1'
port = $PG_PRIMARY_PORT
unix_socket_directories = '$PG_SOCKETS'
max_connections = 300
shared_buffers = 128MB
wal_level = replica
max_wal_senders = 10
max_replication_slots = 10
wal_keep_size = 256MB
max_wal_size = 1GB
hot_standby = on
hot_standby_feedback = on
# Test data only: no fsync (a killed server still loses nothing that was committed; only an OS crash could).
fsync = off
log_line_prefix = '%m [%p] %q%u@%d '
log_timezone = 'UTC'
timezone = 'UTC'
EOF
  grep -q "^include_if_exists = 'servers.conf'" "$data/postgresql.conf" ||
    echo "include_if_exists = 'servers.conf'" | as_pg tee -a "$data/postgresql.conf" >/dev/null
  as_pg tee "$data/pg_hba.conf" >/dev/null <<'EOF'
# Written by scripts/servers/lib.sh
local   all           all                     trust
local   replication   all                     trust
host    all           all       127.0.0.1/32  scram-sha-256
host    all           all       ::1/128       scram-sha-256
host    replication   all       127.0.0.1/32  scram-sha-256
host    replication   all       ::1/128       scram-sha-256
EOF
}

pg_init_primary() {
  [[ -s "$PG_PRIMARY_DATA/PG_VERSION" ]] && return 0
  log "initialising PostgreSQL primary in $PG_PRIMARY_DATA"
  as_pg rm -rf "$PG_PRIMARY_DATA"
  local pw="$PG_ROOT/.pwfile"
  # shellcheck disable=SC2016 # expanded by the inner shell
  as_pg bash -c 'umask 077; printf "%s\n" "$1" >"$2"' _ "$PG_PASSWORD" "$pw"
  as_pg "$PG_BIN/initdb" -D "$PG_PRIMARY_DATA" -U "$PG_USER" --pwfile="$pw" --auth-local=trust \
    --auth-host=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 --no-sync >>"$LOGS/postgres-init.log" 2>&1 ||
    { as_pg rm -f "$pw"; log_tail "$LOGS/postgres-init.log"; die "initdb failed; see $LOGS/postgres-init.log"; }
  as_pg rm -f "$pw"
  pg_write_primary_config
}

pg_system_id() { as_pg "$PG_BIN/pg_controldata" "$1" 2>/dev/null | sed -n 's/^Database system identifier:[[:space:]]*//p'; }

# Replica from a pg_basebackup of the primary, streaming through a physical replication slot.
pg_init_replica() {
  if [[ -s "$PG_REPLICA_DATA/PG_VERSION" ]]; then
    # A replica of an older primary (primary re-initialised since) can never stream: rebuild it.
    if [[ "$(pg_system_id "$PG_REPLICA_DATA")" == "$(pg_system_id "$PG_PRIMARY_DATA")" ]]; then return 0; fi
    log "replica belongs to another primary; rebuilding it"
    local pid; if pid="$(pg_pid "$PG_REPLICA_DATA")"; then as_pg "$PG_BIN/pg_ctl" -D "$PG_REPLICA_DATA" -m immediate -w stop >/dev/null 2>&1 || kill -KILL "$pid" || true; fi
  fi
  pg_pid "$PG_PRIMARY_DATA" >/dev/null || die "the PostgreSQL primary must run to create the replica"
  log "creating PostgreSQL replica with pg_basebackup (slot $PG_SLOT)"
  as_pg rm -rf "$PG_REPLICA_DATA"
  # Slots of earlier replicas (the slot is named after the replica's port) would keep WAL forever.
  psql_primary -c "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name ~ '^replica_[0-9]+\$' AND NOT active" >/dev/null
  as_pg env PGPASSWORD="$PG_PASSWORD" "$PG_BIN/pg_basebackup" -h 127.0.0.1 -p "$PG_PRIMARY_PORT" -U "$PG_USER" \
    -D "$PG_REPLICA_DATA" -X stream -C -S "$PG_SLOT" -R --checkpoint=fast --no-sync >>"$LOGS/postgres-init.log" 2>&1 ||
    { log_tail "$LOGS/postgres-init.log"; die "pg_basebackup failed; see $LOGS/postgres-init.log"; }
  as_pg tee -a "$PG_REPLICA_DATA/postgresql.auto.conf" >/dev/null <<EOF
# Written by scripts/servers/lib.sh: this is the standby.
port = $PG_REPLICA_PORT
primary_conninfo = 'host=127.0.0.1 port=$PG_PRIMARY_PORT user=$PG_USER password=$PG_PASSWORD application_name=replica'
primary_slot_name = '$PG_SLOT'
EOF
  as_pg chmod 700 "$PG_REPLICA_DATA"
}

# Usage: pg_start primary|replica
pg_start() {
  local which="$1" data port logf
  if [[ "$which" == primary ]]; then data="$PG_PRIMARY_DATA" port="$PG_PRIMARY_PORT"; else data="$PG_REPLICA_DATA" port="$PG_REPLICA_PORT"; fi
  logf="$PG_LOG_DIR/postgres-$which.log"
  if pg_pid "$data" >/dev/null; then
    wait_for 60 "PostgreSQL $which on port $port" pg_ready "$port" ||
      { log_tail "$logf"; die "PostgreSQL $which runs but does not accept connections on $port; see $logf"; }
    return 0
  fi
  claim_port "$port" "PostgreSQL $which"
  [[ -s "$data/PG_VERSION" ]] || die "PostgreSQL $which is not initialised ($data); run: bash scripts/servers/up.sh"
  # The port may have changed since the data was made (port-offset); the replica is rebuilt then.
  [[ "$which" == primary ]] && pg_write_primary_config
  log "starting PostgreSQL $which on 127.0.0.1:$port"
  local _try
  for _try in 1 2 3; do
    # After a SIGKILL the old backends may need a moment to leave shared memory; retry then.
    # shellcheck disable=SC2094 # pg_ctl appends to its log; nothing reads it here
    if as_pg "$PG_BIN/pg_ctl" -D "$data" -l "$logf" -w -t 90 start >/dev/null 2>>"$logf" 9>&-; then
      wait_for 30 "PostgreSQL $which on port $port" pg_ready "$port" && return 0
    fi
    sleep 1
  done
  log_tail "$logf"
  die "PostgreSQL $which did not start; see $logf"
}

# Replica is ready when it is in recovery and the primary shows its slot streaming.
pg_replica_streaming() {
  [[ "$(psql_replica -c 'SELECT pg_is_in_recovery()' 2>/dev/null)" == t ]] || return 1
  [[ "$(psql_primary -c "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming' AND application_name = 'replica'" 2>/dev/null)" == 1 ]]
}

pg_stop() {
  local which="$1" data pid kids=()
  [[ "$which" == primary ]] && data="$PG_PRIMARY_DATA" || data="$PG_REPLICA_DATA"
  pid="$(pg_pid "$data")" || return 0
  log "stopping PostgreSQL $which (pid $pid)"
  read -r -a kids <<<"$(child_pids "$pid")"
  as_pg "$PG_BIN/pg_ctl" -D "$data" -m fast -w -t 60 stop >/dev/null 2>&1 || true
  pid_alive "$pid" || return 0
  log "PostgreSQL $which (pid $pid) did not stop within 60s; killed it and its backends (SIGKILL)"
  kill -KILL "$pid" "${kids[@]}" 2>/dev/null || true
  wait_pid_exit "$pid" 10 || log "PostgreSQL $which (pid $pid) is still there 10s after SIGKILL"
}

# SIGKILL the postmaster and its children at once, like a crashed host.
pg_kill() {
  local which="$1" data pid
  [[ "$which" == primary ]] && data="$PG_PRIMARY_DATA" || data="$PG_REPLICA_DATA"
  pid="$(pg_pid "$data")" || return 0
  log "killing PostgreSQL $which (SIGKILL, pid $pid)"
  local kids; kids="$(child_pids "$pid")"
  # shellcheck disable=SC2086
  kill -KILL "$pid" $kids 2>/dev/null || true
  wait_pid_exit "$pid" 10 || true
}

# ---------------------------------------------------------------- Kafka

# Two clusters share the jars: `kafka` (KAFKA_BOOTSTRAP) and `kafka2` (KAFKA2_BOOTSTRAP, the
# cross-region tests' second region). kafka_select sets the K_* variables the functions below use.
kafka_select() {
  case "${1:-kafka}" in
    kafka)
      K_NAME=kafka K_HOME="$KAFKA_HOME" K_DATA="$KAFKA_DATA" K_CONF="$KAFKA_CONF" K_PIDFILE="$KAFKA_PIDFILE"
      K_LOG="$KAFKA_LOG" K_OUT="$LOGS/kafka.out" K_BOOTSTRAP="$KAFKA_BOOTSTRAP" K_CONTROLLER="$KAFKA_CONTROLLER" K_HEAP="$KAFKA_HEAP"
      ;;
    kafka2)
      K_NAME=kafka2 K_HOME="$KAFKA2_HOME" K_DATA="$KAFKA2_HOME/data" K_CONF="$KAFKA2_HOME/config" K_PIDFILE="$KAFKA2_HOME/kafka.pid"
      K_LOG="$LOGS/kafka2.log" K_OUT="$LOGS/kafka2.out" K_BOOTSTRAP="$KAFKA2_BOOTSTRAP" K_CONTROLLER="$KAFKA2_CONTROLLER" K_HEAP="$KAFKA2_HEAP"
      ;;
    *) die "unknown Kafka cluster '$1' (kafka or kafka2)" ;;
  esac
}
kafka_select kafka

kafka_write_config() {
  mkdir -p "$K_CONF"
  cat >"$K_CONF/server.properties" <<EOF
# Written by scripts/servers/lib.sh: single node, broker and controller in one process (KRaft).
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@$K_CONTROLLER
listeners=PLAINTEXT://$K_BOOTSTRAP,CONTROLLER://$K_CONTROLLER
advertised.listeners=PLAINTEXT://$K_BOOTSTRAP
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$K_DATA
auto.create.topics.enable=false
num.partitions=1
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=10
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
num.network.threads=2
num.io.threads=4
log.retention.hours=24
log.segment.bytes=67108864
log.cleaner.dedupe.buffer.size=16777216
EOF
  cat >"$K_CONF/log4j2.properties" <<EOF
# Written by scripts/servers/lib.sh
status = warn
appender.file.type = File
appender.file.name = FILE
appender.file.fileName = $K_LOG
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.file.ref = FILE
logger.controller.name = org.apache.kafka.controller
logger.controller.level = INFO
logger.state.name = state.change.logger
logger.state.level = WARN
logger.request.name = kafka.request.logger
logger.request.level = WARN
EOF
}

kafka_jvm() {
  local java=java
  if (($(java_major) < 17)) && [[ -x /usr/lib/jvm/java-17-openjdk-amd64/bin/java ]]; then java=/usr/lib/jvm/java-17-openjdk-amd64/bin/java; fi
  KAFKA_JVM=("$java" -Xms256m -Xmx"$K_HEAP" -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:+ExitOnOutOfMemoryError
    -Djava.awt.headless=true -Dlog4j2.configurationFile="$K_CONF/log4j2.properties" -cp "$KAFKA_LIBS/*")
}

kafka_java() { kafka_jvm; "${KAFKA_JVM[@]}" "$@"; }

kafka_pid() { kafka_select "${1:-$K_NAME}"; pid_from_file "$K_PIDFILE" "$K_CONF/server.properties"; }

kafka_format() {
  # Data of another Kafka version is test data only: start afresh rather than migrate.
  if [[ -f "$K_DATA/meta.properties" && "$(cat "$K_HOME/data.version" 2>/dev/null)" == "$KAFKA_VERSION" ]]; then return 0; fi
  rm -rf "$K_DATA"
  mkdir -p "$K_DATA"
  local id flog="$LOGS/$K_NAME-format.log"
  id="$(kafka_java kafka.tools.StorageTool random-uuid 2>>"$flog" | tail -n 1)"
  [[ -n "$id" ]] || { log_tail "$flog"; die "Kafka random-uuid failed; see $flog"; }
  log "formatting $K_NAME storage (cluster id $id)"
  kafka_java kafka.tools.StorageTool format -t "$id" -c "$K_CONF/server.properties" >>"$flog" 2>&1 ||
    { log_tail "$flog"; die "Kafka storage format failed; see $flog"; }
  echo "$KAFKA_VERSION" >"$K_HOME/data.version"
}

kafka_started_since() { tail -c +"$(($1 + 1))" "$K_LOG" 2>/dev/null | grep 'Kafka Server started' >/dev/null; }

# Usage: kafka_start [kafka|kafka2]
kafka_start() {
  kafka_select "${1:-kafka}"
  local port="${K_BOOTSTRAP##*:}"
  if kafka_pid >/dev/null; then
    wait_for 90 "$K_NAME on $K_BOOTSTRAP" port_open "$port" ||
      { log_tail "$K_LOG"; die "$K_NAME runs but does not accept connections on $K_BOOTSTRAP; see $K_LOG"; }
    return 0
  fi
  kafka_installed || die "Kafka is not installed; run: bash scripts/servers/up.sh"
  claim_port "$port" "$K_NAME"
  claim_port "${K_CONTROLLER##*:}" "$K_NAME controller"
  kafka_write_config
  kafka_format
  touch "$K_LOG"
  local offset; offset="$(stat -c %s "$K_LOG")"
  log "starting $K_NAME (Kafka $KAFKA_VERSION) on $K_BOOTSTRAP (controller $K_CONTROLLER, heap $K_HEAP)"
  echo "=== start $(date -u +%FT%TZ)" >>"$K_OUT"
  kafka_jvm
  spawn "$K_PIDFILE" "$K_OUT" "${KAFKA_JVM[@]}" kafka.Kafka "$K_CONF/server.properties"
  local deadline=$((SECONDS + 120))
  until port_open "$port" && kafka_started_since "$offset"; do
    if ! kafka_pid >/dev/null; then
      log_tail "$K_OUT"; log_tail "$K_LOG"
      die "$K_NAME exited during start; see $K_LOG and $K_OUT"
    fi
    if ((SECONDS >= deadline)); then
      log_tail "$K_LOG"
      die "$K_NAME did not become ready within 120s; see $K_LOG"
    fi
    sleep 0.5
  done
}

kafka_stop() {
  kafka_select "${1:-kafka}"
  local pid; pid="$(kafka_pid)" || return 0
  log "stopping $K_NAME (pid $pid)"
  term_then_kill "$pid" 60 "$K_NAME"
}

kafka_kill() {
  kafka_select "${1:-kafka}"
  local pid; pid="$(kafka_pid)" || return 0
  log "killing $K_NAME (SIGKILL, pid $pid)"
  kill -KILL "$pid" 2>/dev/null || true
  wait_pid_exit "$pid" 10 || true
}

# ---------------------------------------------------------------- MirrorMaker 2

# The jars are the runtime dependencies of the image's pom (lib/replication/mirror-maker/pom.xml),
# resolved for KAFKA_VERSION: the local test runs the classpath the image ships.
mm2_stamp() { echo "mirror-maker-$KAFKA_VERSION $(md5sum <"$MM2_POM" | cut -c1-12)"; }

mm2_installed() { [[ -f "$MM2_LIBS/.installed" && "$(cat "$MM2_LIBS/.installed")" == "$(mm2_stamp)" ]]; }

install_mirror_maker() {
  mm2_installed && return 0
  [[ -f "$MM2_POM" ]] || die "missing $MM2_POM"
  log "fetching MirrorMaker 2 jars (Kafka $KAFKA_VERSION) from Maven Central (log: $LOGS/install-mirror-maker.log)"
  mkdir -p "$MM2_HOME" "$M2_REPO"
  rm -rf "$MM2_LIBS.tmp"
  if ! mvn -B -q -C -f "$MM2_POM" -Dmaven.repo.local="$M2_REPO" -Dkafka.version="$KAFKA_VERSION" \
    dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$MM2_LIBS.tmp" >>"$LOGS/install-mirror-maker.log" 2>&1; then
    log_tail "$LOGS/install-mirror-maker.log"
    die "fetching the MirrorMaker 2 jars failed; see $LOGS/install-mirror-maker.log"
  fi
  [[ -f "$MM2_LIBS.tmp/connect-mirror-$KAFKA_VERSION.jar" ]] || die "connect-mirror jar missing after Maven run; see $LOGS/install-mirror-maker.log"
  rm -rf "$MM2_LIBS"
  mv "$MM2_LIBS.tmp" "$MM2_LIBS"
  mm2_stamp >"$MM2_LIBS/.installed"
}

mm2_pid() { pid_from_file "$MM2_PIDFILE" "org.apache.kafka.connect.mirror.MirrorMaker"; }

mm2_started_since() { tail -c +"$(($1 + 1))" "$MM2_LOG" 2>/dev/null | grep 'Kafka MirrorMaker started' >/dev/null; }

# Runs MirrorMaker 2 on $MM2_PROPERTIES (written by the test with renderMirrorMakerProperties).
# Ready when it logs that its herders started; the connectors then start replicating.
mm2_start() {
  if mm2_pid >/dev/null; then return 0; fi
  mm2_installed || die "MirrorMaker 2 is not installed; run: bash scripts/servers/ctl.sh install mirror-maker"
  [[ -r "$MM2_PROPERTIES" ]] || die "no MirrorMaker properties at $MM2_PROPERTIES (set MM2_PROPERTIES)"
  mkdir -p "$MM2_HOME"
  local offset java=java
  if (($(java_major) < 17)) && [[ -x /usr/lib/jvm/java-17-openjdk-amd64/bin/java ]]; then java=/usr/lib/jvm/java-17-openjdk-amd64/bin/java; fi
  log "starting MirrorMaker 2 on $MM2_PROPERTIES (heap $MM2_HEAP)"
  echo "=== start $(date -u +%FT%TZ) $MM2_PROPERTIES" >>"$MM2_LOG"
  offset="$(stat -c %s "$MM2_LOG")"
  spawn "$MM2_PIDFILE" "$MM2_LOG" "$java" -Xms64m -Xmx"$MM2_HEAP" -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
    -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true -Dlog4j2.configurationFile="$MM2_LOG4J" \
    -cp "$MM2_LIBS/*" org.apache.kafka.connect.mirror.MirrorMaker "$MM2_PROPERTIES"
  local deadline=$((SECONDS + 120))
  until mm2_started_since "$offset"; do
    mm2_pid >/dev/null || { log_tail "$MM2_LOG"; die "MirrorMaker 2 exited during start; see $MM2_LOG"; }
    ((SECONDS < deadline)) || { log_tail "$MM2_LOG"; die "MirrorMaker 2 did not start within 120s; see $MM2_LOG"; }
    sleep 0.5
  done
}

mm2_stop() {
  local pid; pid="$(mm2_pid)" || return 0
  log "stopping MirrorMaker 2 (pid $pid)"
  term_then_kill "$pid" 30 "MirrorMaker 2"
}

mm2_kill() {
  local pid; pid="$(mm2_pid)" || return 0
  log "killing MirrorMaker 2 (SIGKILL, pid $pid)"
  kill -KILL "$pid" 2>/dev/null || true
  wait_pid_exit "$pid" 10 || true
}

# ---------------------------------------------------------------- Redis

redis_conf() {
  local port="$1" cluster="$2" dir="$REDIS_HOME/$1"
  mkdir -p "$dir"
  {
    cat <<EOF
# Written by scripts/servers/lib.sh
bind 127.0.0.1
port $port
protected-mode no
daemonize yes
pidfile $dir/redis.pid
logfile $LOGS/redis-$port.log
dir $dir
save 3600 1 300 100 60 10000
appendonly no
EOF
    # Exit on SIGTERM even when the snapshot cannot be saved (e.g. its directory was deleted):
    # by default such a Redis refuses to stop.
    if ((REDIS_MAJOR >= 7)); then printf 'shutdown-on-sigterm force\nshutdown-on-sigint force\n'; fi
    if [[ "$cluster" == yes ]]; then
      cat <<EOF
cluster-enabled yes
# The bus port defaults to port+10000, which is past 65535 for the base ports.
cluster-port $((port - REDIS_CLUSTER_BUS_DISTANCE))
cluster-config-file nodes.conf
cluster-node-timeout 5000
EOF
    fi
  } >"$dir/redis.conf"
}

REDIS_MAJOR="$( (redis-server --version 2>/dev/null || true) | sed -n 's/.* v=\([0-9]*\)\..*/\1/p')"
REDIS_MAJOR="${REDIS_MAJOR:-0}"

redis_pid() { pid_from_file "$REDIS_HOME/$1/redis.pid" "redis-server"; }

redis_cli() { local port="$1"; shift; redis-cli -h 127.0.0.1 -p "$port" "$@"; }

redis_ping() { [[ "$(redis_cli "$1" ping 2>/dev/null)" == PONG ]]; }

redis_start_one() {
  local port="$1" cluster="$2"
  if redis_pid "$port" >/dev/null; then return 0; fi
  claim_port "$port" "Redis"
  [[ "$cluster" == yes ]] && claim_port "$((port - REDIS_CLUSTER_BUS_DISTANCE))" "Redis cluster bus of $port"
  redis_conf "$port" "$cluster"
  redis-server "$REDIS_HOME/$port/redis.conf" >>"$LOGS/redis-$port.log" 2>&1 9>&- ||
    { log_tail "$LOGS/redis-$port.log"; die "redis-server on port $port failed to start; see $LOGS/redis-$port.log"; }
}

redis_wait_one() {
  local port="$1" deadline=$((SECONDS + 30)) started=$SECONDS
  until redis_ping "$port"; do
    if ((SECONDS - started >= 2)) && ! redis_pid "$port" >/dev/null; then
      log_tail "$LOGS/redis-$port.log"; die "Redis on port $port exited during start; see $LOGS/redis-$port.log"
    fi
    ((SECONDS < deadline)) || { log_tail "$LOGS/redis-$port.log"; die "Redis on port $port did not answer PING within 30s; see $LOGS/redis-$port.log"; }
    sleep 0.2
  done
}

redis_cluster_ok_on() { redis_cli "$1" cluster info 2>/dev/null | tr -d '\r' | grep -x 'cluster_state:ok' >/dev/null; }

redis_cluster_all_ok() {
  local p
  for p in "${REDIS_CLUSTER_PORTS[@]}"; do redis_cluster_ok_on "$p" || return 1; done
  for p in "${REDIS_CLUSTER_REPLICAS[@]}"; do
    redis_cli "$p" info replication 2>/dev/null | tr -d '\r' | grep -x 'master_link_status:up' >/dev/null || return 1
  done
}

redis_cluster_ensure() {
  local p assigned
  assigned="$(redis_cli "${REDIS_CLUSTER_MASTERS[0]}" cluster info | tr -d '\r' | sed -n 's/^cluster_slots_assigned://p')"
  if [[ "$assigned" == 0 ]]; then
    local nodes=()
    for p in "${REDIS_CLUSTER_PORTS[@]}"; do nodes+=("127.0.0.1:$p"); done
    log "creating Redis cluster: masters ${REDIS_CLUSTER_MASTERS[*]}, replicas ${REDIS_CLUSTER_REPLICAS[*]}"
    redis-cli --cluster create "${nodes[@]}" --cluster-replicas 1 --cluster-yes >>"$LOGS/redis-cluster-create.log" 2>&1 ||
      { log_tail "$LOGS/redis-cluster-create.log"; die "redis-cli --cluster create failed; see $LOGS/redis-cluster-create.log"; }
  fi
  wait_for 60 "Redis cluster state ok" redis_cluster_all_ok ||
    die "Redis cluster did not reach cluster_state:ok; see $LOGS/redis-${REDIS_CLUSTER_MASTERS[0]}.log ... and $LOGS/redis-cluster-create.log (to rebuild it: bash scripts/servers/down.sh --purge && bash scripts/servers/up.sh)"
}

# Usage: redis_start standalone|cluster|all
redis_start() {
  local which="$1" p
  if [[ "$which" != cluster ]]; then redis_start_one "$REDIS_STANDALONE_PORT" no; fi
  if [[ "$which" != standalone ]]; then
    for p in "${REDIS_CLUSTER_PORTS[@]}"; do redis_start_one "$p" yes; done
  fi
  if [[ "$which" != cluster ]]; then redis_wait_one "$REDIS_STANDALONE_PORT"; fi
  if [[ "$which" != standalone ]]; then
    for p in "${REDIS_CLUSTER_PORTS[@]}"; do redis_wait_one "$p"; done
    redis_cluster_ensure
  fi
}

redis_ports() {
  case "$1" in
    standalone) echo "$REDIS_STANDALONE_PORT" ;;
    cluster) echo "${REDIS_CLUSTER_PORTS[*]}" ;;
    all) echo "$REDIS_STANDALONE_PORT ${REDIS_CLUSTER_PORTS[*]}" ;;
  esac
}

redis_stop() {
  local p pid pids=() ports=() i
  for p in $(redis_ports "$1"); do
    pid="$(redis_pid "$p")" || continue
    # SHUTDOWN saves the snapshot (when save points are set), as a clean stop does.
    redis_cli "$p" shutdown >/dev/null 2>&1 || true
    pids+=("$pid") ports+=("$p")
  done
  ((${#pids[@]})) || return 0
  log "stopping Redis ($1: ${ports[*]})"
  # A Redis that could not save refuses SHUTDOWN: SIGTERM (which it obeys with shutdown-on-sigterm
  # force, Redis 7), then SIGKILL.
  for i in "${!pids[@]}"; do
    wait_pid_exit "${pids[i]}" 10 || stop_process "${pids[i]}" "Redis on port ${ports[i]}" TERM 10 || true
  done
}

redis_kill() {
  local p pid pids=()
  for p in $(redis_ports "$1"); do
    pid="$(redis_pid "$p")" || continue
    kill -KILL "$pid" 2>/dev/null || true
    pids+=("$pid")
  done
  ((${#pids[@]})) && log "killed Redis ($1, SIGKILL)"
  for pid in "${pids[@]}"; do wait_pid_exit "$pid" 10 || true; done
}

# ---------------------------------------------------------------- FerretDB

ferret_pid() { pid_from_file "$FERRET_PIDFILE" "$FERRET_BIN"; }

ferret_start() {
  if ferret_pid >/dev/null; then
    wait_for 30 "FerretDB on port $FERRET_PORT" port_open "$FERRET_PORT" ||
      { log_tail "$FERRET_LOG"; die "FerretDB runs but does not accept connections on $FERRET_PORT; see $FERRET_LOG"; }
    return 0
  fi
  ferretdb_installed || die "FerretDB is not installed; run: bash scripts/servers/up.sh"
  claim_port "$FERRET_PORT" FerretDB
  mkdir -p "$FERRET_HOME/data" "$FERRET_HOME/state"
  log "starting FerretDB $FERRETDB_VERSION (SQLite) on 127.0.0.1:$FERRET_PORT"
  spawn "$FERRET_PIDFILE" "$FERRET_LOG" "$FERRET_BIN" --listen-addr="127.0.0.1:$FERRET_PORT" \
    --handler=sqlite --sqlite-url="file:$FERRET_HOME/data/" --state-dir="$FERRET_HOME/state" \
    --debug-addr=- --telemetry=disable --log-level=warn
  local deadline=$((SECONDS + 60))
  until port_open "$FERRET_PORT"; do
    ferret_pid >/dev/null || { log_tail "$FERRET_LOG"; die "FerretDB exited during start; see $FERRET_LOG"; }
    ((SECONDS < deadline)) || { log_tail "$FERRET_LOG"; die "FerretDB did not listen within 60s; see $FERRET_LOG"; }
    sleep 0.2
  done
}

ferret_stop() {
  local pid; pid="$(ferret_pid)" || return 0
  log "stopping FerretDB (pid $pid)"
  term_then_kill "$pid" 20 FerretDB
}

ferret_kill() {
  local pid; pid="$(ferret_pid)" || return 0
  log "killing FerretDB (SIGKILL, pid $pid)"
  kill -KILL "$pid" 2>/dev/null || true
  wait_pid_exit "$pid" 10 || true
}

# ---------------------------------------------------------------- per-server dispatch (ctl.sh)

SERVER_NAMES="postgres replica kafka redis redis-cluster redis-standalone ferretdb kafka2 mirror-maker"

server_start() {
  case "$1" in
    postgres) pg_prepare_root; pg_start primary ;;
    replica)
      pg_prepare_root
      [[ -s "$PG_REPLICA_DATA/PG_VERSION" ]] || die "the replica is not created yet; run: bash scripts/servers/up.sh"
      pg_start replica
      # Streaming needs the primary; when it is down the standby still serves reads.
      if pg_pid "$PG_PRIMARY_DATA" >/dev/null; then
        wait_for 60 "the replica to stream from the primary" pg_replica_streaming ||
          { log_tail "$LOGS/postgres-replica.log"; die "the replica does not stream from the primary; see $LOGS/postgres-replica.log"; }
      fi
      ;;
    kafka) kafka_start kafka ;;
    kafka2) kafka_start kafka2 ;;
    mirror-maker) mm2_start ;;
    redis) redis_start all ;;
    redis-cluster) redis_start cluster ;;
    redis-standalone) redis_start standalone ;;
    ferretdb) ferret_start ;;
    *) die "unknown server '$1' (one of: $SERVER_NAMES)" ;;
  esac
}

server_stop() {
  case "$1" in
    postgres) pg_stop primary ;;
    replica) pg_stop replica ;;
    kafka) kafka_stop kafka ;;
    kafka2) kafka_stop kafka2 ;;
    mirror-maker) mm2_stop ;;
    redis) redis_stop all ;;
    redis-cluster) redis_stop cluster ;;
    redis-standalone) redis_stop standalone ;;
    ferretdb) ferret_stop ;;
    *) die "unknown server '$1' (one of: $SERVER_NAMES)" ;;
  esac
}

server_kill() {
  case "$1" in
    postgres) pg_kill primary ;;
    replica) pg_kill replica ;;
    kafka) kafka_kill kafka ;;
    kafka2) kafka_kill kafka2 ;;
    mirror-maker) mm2_kill ;;
    redis) redis_kill all ;;
    redis-cluster) redis_kill cluster ;;
    redis-standalone) redis_kill standalone ;;
    ferretdb) ferret_kill ;;
    *) die "unknown server '$1' (one of: $SERVER_NAMES)" ;;
  esac
}

# One line per server: name, state, address, pid.
server_status() {
  local pid p
  pid="$(pg_pid "$PG_PRIMARY_DATA" 2>/dev/null)" && printf '%-17s running  127.0.0.1:%s pid %s\n' postgres "$PG_PRIMARY_PORT" "$pid" || printf '%-17s stopped  127.0.0.1:%s\n' postgres "$PG_PRIMARY_PORT"
  pid="$(pg_pid "$PG_REPLICA_DATA" 2>/dev/null)" && printf '%-17s running  127.0.0.1:%s pid %s\n' replica "$PG_REPLICA_PORT" "$pid" || printf '%-17s stopped  127.0.0.1:%s\n' replica "$PG_REPLICA_PORT"
  pid="$(kafka_pid kafka)" && printf '%-17s running  %s pid %s\n' kafka "$KAFKA_BOOTSTRAP" "$pid" || printf '%-17s stopped  %s\n' kafka "$KAFKA_BOOTSTRAP"
  pid="$(kafka_pid kafka2)" && printf '%-17s running  %s pid %s\n' kafka2 "$KAFKA2_BOOTSTRAP" "$pid" || printf '%-17s stopped  %s\n' kafka2 "$KAFKA2_BOOTSTRAP"
  pid="$(mm2_pid)" && printf '%-17s running  %s pid %s\n' mirror-maker "kafka -> kafka2" "$pid" || printf '%-17s stopped\n' mirror-maker
  for p in "$REDIS_STANDALONE_PORT" "${REDIS_CLUSTER_PORTS[@]}"; do
    pid="$(redis_pid "$p")" && printf '%-17s running  127.0.0.1:%s pid %s\n' "redis-$p" "$p" "$pid" || printf '%-17s stopped  127.0.0.1:%s\n' "redis-$p" "$p"
  done
  pid="$(ferret_pid)" && printf '%-17s running  127.0.0.1:%s pid %s\n' ferretdb "$FERRET_PORT" "$pid" || printf '%-17s stopped  127.0.0.1:%s\n' ferretdb "$FERRET_PORT"
}

# Server processes must not inherit fd 9 (the lock): every start command closes it (9>&-).
# Serialise up/down/ctl runs (e.g. a manual up.sh while a test run starts the servers).
take_lock() {
  exec 9>"$SD/.lock"
  if ! flock -w 900 9; then die "another scripts/servers command holds $SD/.lock for more than 15 minutes"; fi
}
