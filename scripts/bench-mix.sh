#!/bin/bash
# bench-mix.sh: the mixing benchmark behind `make bench`: calls of five, 20 % speaking, everyone mixed on one media core, against Janus's AudioBridge in the same run.
# Usage: scripts/bench-mix.sh BUILD_DIR   (make has built bench-mix there)
# Knobs (environment): XBENCH_CALLS=40 (calls of XBENCH_SIZE=5) XBENCH_SPEAKING=0.2 XBENCH_SECONDS=10 XBENCH_WARMUP=3
#   XBENCH_JANUS=1 (0: skip Janus) XBENCH_CMP_CALLS=4 (calls in the comparison with Janus) XBENCH_RECORD=1 (0: skip
#   the recording comparison) XBENCH_KEEP= (1: keep the temporary directory)
# The comparison runs the same scenario at XBENCH_CMP_CALLS calls, a load Janus's AudioBridge carries (at 100
# participants it needs all of its core and at 200 it serves almost nobody, which would make any ratio meaningless),
# against samvaer and against the AudioBridge (Debian janus, WebSocket transport, the loopback shim as in
# bench-media.sh) on the same CPU; when Janus cannot run, the table says "not run" instead of a ratio.
# Exit status: 0 when every measured target passes, 1 when one fails or the bench could not run, 2 on a usage error.
set -u
BUILD=${1:-}
if [ -z "$BUILD" ] || [ ! -x "$BUILD/bench-mix" ]; then
	echo "usage: $0 BUILD_DIR (with bench-mix built)" >&2
	exit 2
fi
BUILD=$(cd "$BUILD" && pwd)
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BENCH_TAG=bench-mix BENCH_KEEP_DIR=${XBENCH_KEEP:-} SAMVAER=$BUILD/samvaer
# shellcheck source=scripts/bench-common.sh
. "$ROOT/scripts/bench-common.sh"
OUT=$TMP/samvaer.txt JOUT=$TMP/janus.txt JANUS_PID=""
SCENE="--size ${XBENCH_SIZE:-5} --speaking ${XBENCH_SPEAKING:-0.2} --seconds ${XBENCH_SECONDS:-10} --warmup ${XBENCH_WARMUP:-3}"
ARGS="--calls ${XBENCH_CALLS:-40} $SCENE"
CMP_ARGS="--calls ${XBENCH_CMP_CALLS:-4} $SCENE"
COUT=$TMP/samvaer-cmp.txt
echo "bench-mix: $BUILD/bench-mix $ARGS" >&2
if ! "$BUILD/bench-mix" $ARGS >"$OUT"; then
	echo "bench-mix: the bench failed" >&2
	exit 1
fi

# Janus with the AudioBridge plugin only (bench-common.sh).
janus_run() {
	local port
	port=$(free_port)
	janus_config audiobridge "$port" || return 1
	run_janus "$TMP/janus.log"
	EXTRA_PIDS=("$JANUS_PID")
	if ! wait_port "$port" "$JANUS_PID"; then
		tail -5 "$TMP/janus.log" >&2
		return 1
	fi
	echo "bench-mix: janus (AudioBridge): $BUILD/bench-mix $CMP_ARGS --janus $port" >&2
	"$BUILD/bench-mix" $CMP_ARGS --janus "$port" --janus-pid "$JANUS_PID" >"$JOUT"
	local rc=$?
	kill -KILL "$JANUS_PID" 2>/dev/null # its rooms would go on using CPU 0 beside the runs that follow
	wait "$JANUS_PID" 2>/dev/null
	JANUS_PID="" EXTRA_PIDS=()
	return $rc
}
if [ "${XBENCH_JANUS:-1}" = 1 ]; then
	echo "bench-mix: samvaer at the comparison load: $BUILD/bench-mix $CMP_ARGS" >&2
	"$BUILD/bench-mix" $CMP_ARGS >"$COUT" || rm -f "$COUT"
	if ! janus_run; then
		echo "bench-mix: the Janus AudioBridge run failed" >&2
		rm -f "$JOUT"
	fi
fi

val() { awk -v k="$1" '$1 == k { print $2 }' "$OUT"; }
jval() { [ -s "$JOUT" ] && awk -v k="$1" '$1 == k { print $2 }' "$JOUT"; }
FAILS=0
row() { # name value target ok
	printf '| %-58s | %12s | %-8s | %-4s |\n' "$1" "$2" "$3" "$4"
	[ "$4" = "FAIL" ] && FAILS=$((FAILS + 1))
	return 0
}
ge() { awk -v a="$1" -v b="$2" 'BEGIN { print (a >= b) ? "ok" : "FAIL" }'; }
le() { awk -v a="$1" -v b="$2" 'BEGIN { print (a <= b) ? "ok" : "FAIL" }'; }
PER=$(val per_core) LAT=$(val latency_avg_ms) RX=$(val rx_pps)
echo
echo "Samvaer mixing bench: $(val participants) participants in calls of $(val size), $(val speaking) speaking, one media core, $(val seconds) s; load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "| figure | value | target | pass |"
echo "|---|---|---|---|"
row "mixed participants per core (served frames / CPU)" "$PER" ">= 250" "$(ge "$PER" 250)"
row "worker CPU (cores)" "$(val worker_cpu)" "-" "-"
row "mix packets per receiver per second" "$RX" ">= 45" "$(ge "$RX" 45)"
row "encodes per call per 20 ms frame" "$(val encodes_per_call_frame)" "-" "-"
row "added delay, arrival to encoded mix: avg (ms)" "$LAT" "<= 60" "$(le "$LAT" 60)"
row "added delay: max (ms)" "$(val latency_max_ms)" "-" "-"
row "frames concealed (PLC + FEC) (%)" "$(val concealed_pct)" "-" "-"
# Recording every call (the mix as Ogg Opus, media/recorder.h): the same scenario with and without it, alternated
# twice so a slow moment of the host does not land on one side only; the median CPU of each side.
if [ "${XBENCH_RECORD:-1}" = 1 ]; then
	cpus_plain="" cpus_rec=""
	for i in 1 2; do
		"$BUILD/bench-mix" $ARGS >"$TMP/plain$i.txt" && cpus_plain="$cpus_plain $(awk '$1 == "worker_cpu" { print $2 }' "$TMP/plain$i.txt")"
		rm -rf "$TMP/rec" && mkdir -p "$TMP/rec"
		"$BUILD/bench-mix" $ARGS --record "$TMP/rec" >"$TMP/rec$i.txt" && cpus_rec="$cpus_rec $(awk '$1 == "worker_cpu" { print $2 }' "$TMP/rec$i.txt")"
	done
	files=$(find "$TMP/rec" -name audio.opus | wc -l)
	med() { echo "$@" | tr ' ' '\n' | grep . | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
	P=$(med $cpus_plain) R=$(med $cpus_rec)
	ADD=$(awk -v p="$P" -v r="$R" 'BEGIN { if (p > 0) printf "%.1f", (r / p - 1) * 100; else print "nan" }')
	row "recording every call: CPU without / with (cores, median of 2)" "$P / $R" "-" "-"
	row "recording adds CPU to a mixed call (%), $files files written" "$ADD" "<= 5" "$(le "$ADD" 5)"
fi
JPER=$(jval per_core)
CPER=$([ -s "$COUT" ] && awk '$1 == "per_core" { print $2 }' "$COUT")
if [ -n "$JPER" ] && [ "$JPER" != 0 ] && [ -n "$CPER" ]; then
	CN="$(jval participants) participants"
	row "samvaer, $CN: participants per core" "$CPER" "-" "-"
	row "Janus AudioBridge, $CN: participants per core" "$JPER" "-" "-"
	row "Janus AudioBridge: CPU (cores)" "$(jval worker_cpu)" "-" "-"
	row "Janus AudioBridge: mix packets per receiver per second" "$(jval rx_pps)" "-" "-"
	RATIO=$(awk -v a="$CPER" -v b="$JPER" 'BEGIN { printf "%.2f", a / b }')
	if [ "$(ge "$(jval rx_pps)" 45)" = ok ]; then
		row "samvaer / AudioBridge participants per core, same load" "${RATIO}x" ">= 3x" "$(ge "$RATIO" 3)"
	else # the AudioBridge did not keep up: the ratio would reward its collapse
		row "samvaer / AudioBridge (AudioBridge fell behind: lower XBENCH_CMP_CALLS)" "${RATIO}x" ">= 3x" "-"
	fi
else
	row "Janus AudioBridge, same scenario: ratio" "not run" ">= 3x" "-"
fi
if [ "$FAILS" -gt 0 ]; then
	echo "bench-mix: $FAILS target(s) missed"
	exit 1
fi
echo "bench-mix: all measured targets met"
