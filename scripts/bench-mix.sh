#!/bin/bash
# bench-mix.sh: the mixing benchmark behind `make bench`: calls of five, 20 % speaking, everyone mixed on one media core; participants per core and the delay mixing adds, against the targets.
# Usage: scripts/bench-mix.sh BUILD_DIR   (make has built bench-mix there)
# Knobs (environment): XBENCH_CALLS=40 (calls of XBENCH_SIZE=5) XBENCH_SPEAKING=0.2 XBENCH_SECONDS=10 XBENCH_WARMUP=3
# Exit status: 0 when every target passes, 1 when one fails or the bench could not run, 2 on a usage error.
# Not measured yet: the same scenario against Janus's AudioBridge (the issue's ">= 3x AudioBridge" target); the
# table says so instead of inventing a ratio.
set -u
BUILD=${1:-}
if [ -z "$BUILD" ] || [ ! -x "$BUILD/bench-mix" ]; then
	echo "usage: $0 BUILD_DIR (with bench-mix built)" >&2
	exit 2
fi
OUT=$(mktemp /tmp/samvaer-bench-mix.XXXXXX)
trap 'rm -f "$OUT"' EXIT
ARGS="--calls ${XBENCH_CALLS:-40} --size ${XBENCH_SIZE:-5} --speaking ${XBENCH_SPEAKING:-0.2} --seconds ${XBENCH_SECONDS:-10} --warmup ${XBENCH_WARMUP:-3}"
echo "bench-mix: $BUILD/bench-mix $ARGS" >&2
if ! "$BUILD/bench-mix" $ARGS >"$OUT"; then
	echo "bench-mix: the bench failed" >&2
	exit 1
fi
val() { awk -v k="$1" '$1 == k { print $2 }' "$OUT"; }
FAILS=0
row() { # name value target ok
	printf '| %-52s | %12s | %-10s | %-4s |\n' "$1" "$2" "$3" "$4"
	[ "$4" = "FAIL" ] && FAILS=$((FAILS + 1))
	return 0
}
ge() { awk -v a="$1" -v b="$2" 'BEGIN { print (a >= b) ? "ok" : "FAIL" }'; }
le() { awk -v a="$1" -v b="$2" 'BEGIN { print (a <= b) ? "ok" : "FAIL" }'; }
PER=$(val per_core) LAT=$(val latency_avg_ms) RX=$(val rx_pps)
echo
echo "Samvaer mixing bench: $(val participants) participants in calls of $(val size), $(val speaking) speaking, one media core, $(val seconds) s"
echo "| figure | value | target | pass |"
echo "|---|---|---|---|"
row "mixed participants per core (served frames / CPU)" "$PER" ">= 250" "$(ge "$PER" 250)"
row "worker CPU (cores)" "$(val worker_cpu)" "-" "-"
row "mix packets per receiver per second" "$RX" ">= 45" "$(ge "$RX" 45)"
row "encodes per call per 20 ms frame" "$(val encodes_per_call_frame)" "-" "-"
row "added delay, arrival to encoded mix: avg (ms)" "$LAT" "<= 60" "$(le "$LAT" 60)"
row "added delay: max (ms)" "$(val latency_max_ms)" "-" "-"
row "frames concealed (PLC + FEC) (%)" "$(val concealed_pct)" "-" "-"
row "Janus AudioBridge, same scenario: ratio" "not run" ">= 3x" "-"
if [ "$FAILS" -gt 0 ]; then
	echo "bench-mix: $FAILS target(s) missed"
	exit 1
fi
echo "bench-mix: all measured targets met (AudioBridge not measured)"
