# Sourced by ./calq, ./run-tests and .ci/run: selects a JDK >= 25 and exports JAVA_HOME.
# Order: JAVA_HOME when it is 25 or newer, then the newest JDK >= 25 under /usr/lib/jvm or /opt.
calq_java_major() { # prints the major version of the JDK at $1, or 0
  local rel="$1/release"
  [ -x "$1/bin/java" ] || { echo 0; return; }
  if [ -f "$rel" ]; then
    sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$rel"
  else
    "$1/bin/java" -version 2>&1 | sed -n '1s/.*version "\([0-9]*\).*/\1/p'
  fi
}
calq_select_java() {
  if [ -n "${JAVA_HOME:-}" ] && [ "$(calq_java_major "$JAVA_HOME")" -ge 25 ] 2>/dev/null; then return 0; fi
  local best="" best_v=0 d v
  for d in /usr/lib/jvm/* /opt/*jdk* /opt/java/*; do
    [ -d "$d" ] || continue
    v=$(calq_java_major "$d"); v=${v:-0}
    if [ "$v" -ge 25 ] 2>/dev/null && [ "$v" -gt "$best_v" ]; then best="$d"; best_v=$v; fi
  done
  if [ -z "$best" ]; then
    echo "calq: needs a JDK 25 or newer (none found in JAVA_HOME or /usr/lib/jvm). Install one, e.g. 'apt-get install temurin-25-jdk', or set JAVA_HOME." >&2
    return 1
  fi
  export JAVA_HOME="$best"
}
calq_select_java || exit 1
export PATH="$JAVA_HOME/bin:$PATH"
# Maven 3.8's bundled Guava warns about sun.misc.Unsafe on JDK 25; that noise is not ours.
export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow"
