#!/bin/sh
# Runs MirrorMaker 2 in dedicated mode with the properties at $MM2_PROPERTIES
# (default /etc/mirror-maker/mm2.properties, mounted from a ConfigMap).
# MM2_CLUSTERS (optional): the target alias(es) this process drives, passed as --clusters, so that a
# pod never runs flows towards another region even if the file lists them.
# JAVA_OPTS (optional): extra JVM flags; the heap follows the container's memory limit by default.
set -eu
props="${MM2_PROPERTIES:-/etc/mirror-maker/mm2.properties}"
if [ ! -r "$props" ]; then
  echo "mirror-maker: no readable properties file at $props (mount the ConfigMap there, or set MM2_PROPERTIES)" >&2
  exit 64
fi
set -- "$props" "$@"
if [ -n "${MM2_CLUSTERS:-}" ]; then set -- "$@" --clusters "$MM2_CLUSTERS"; fi
# shellcheck disable=SC2086 # JAVA_OPTS is a list of flags
exec java -XX:MaxRAMPercentage=75 -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:+ExitOnOutOfMemoryError \
  -Djava.awt.headless=true -Dlog4j2.configurationFile=/opt/mirror-maker/config/log4j2.properties \
  ${JAVA_OPTS:-} -cp '/opt/mirror-maker/libs/*' org.apache.kafka.connect.mirror.MirrorMaker "$@"
