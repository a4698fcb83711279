#!/usr/bin/env bash
# bench/flamegraph.sh FILE.jfr...: CPU and allocation flame graphs (interactive HTML) from JFR
# recordings, such as those of `bench/compare.sh --jfr`. The JDK's `jfr print --json` reads the
# samples, bench/jfr_collapse.py folds the stacks, and async-profiler's converter
# (tools.profiler:jfr-converter from Maven Central, fetched into ~/.m2 on first use) draws them.
# Writes FILE-cpu.html and FILE-alloc.html (and the .collapsed text) next to each recording.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
version=4.5
[[ $# -ge 1 && $1 != -h && $1 != --help ]] || { sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
JAVA_HOME=$("$root/bin/java-home") || exit 1
export JAVA_HOME PATH="$JAVA_HOME/bin:$PATH" MAVEN_OPTS="${MAVEN_OPTS:---sun-misc-unsafe-memory-access=allow}"
jar="$HOME/.m2/repository/tools/profiler/jfr-converter/$version/jfr-converter-$version.jar"
if [[ ! -f $jar ]]; then
  echo "flamegraph: fetching tools.profiler:jfr-converter:$version from Maven Central" >&2
  mvn -q -B -ntp dependency:get -Dartifact="tools.profiler:jfr-converter:$version" >&2
fi
for recording in "$@"; do
  [[ -f $recording ]] || { echo "flamegraph: no such recording: $recording" >&2; exit 1; }
  base=${recording%.jfr}
  jfr print --json --events jdk.ExecutionSample "$recording" | python3 "$root/bench/jfr_collapse.py" cpu > "$base-cpu.collapsed"
  jfr print --json --events jdk.ObjectAllocationSample "$recording" | python3 "$root/bench/jfr_collapse.py" alloc > "$base-alloc.collapsed"
  java -jar "$jar" --title "CPU samples: $(basename "$recording")" "$base-cpu.collapsed" "$base-cpu.html" >/dev/null
  java -jar "$jar" --title "Allocation (bytes): $(basename "$recording")" "$base-alloc.collapsed" "$base-alloc.html" >/dev/null
  echo "flamegraph: $base-cpu.html ($(awk '{s+=$NF} END {print s+0}' "$base-cpu.collapsed") samples), $base-alloc.html"
done
