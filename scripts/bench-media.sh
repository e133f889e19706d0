#!/bin/bash
# bench-media.sh: the media benchmark behind `make bench`: N concurrent 1:1 video calls through samvaer (one media core) and Janus, in one run, against the targets.
# Usage: scripts/bench-media.sh BUILD_DIR   (make has built samvaer, samvaer-admin and bench-calls there)
# Knobs (environment): MBENCH_CALLS=500 (samvaer capacity phase) MBENCH_CMP_CALLS=20 (samvaer and Janus at the
#   same load, for the CPU ratio) MBENCH_DURATION=10 MBENCH_WARMUP=3 MBENCH_RATE=50 (calls set up per second)
#   MBENCH_JANUS=1 (0: skip Janus) MBENCH_KEEP= (1: keep the temporary directory with logs and raw results)
#   MBENCH_PERF=0 (1: perf-record samvaer during the capacity phase, report in BUILD/bench-media-perf.txt)
# Exit status: 0 when every target passes, 1 when one fails or a phase could not run, 2 on a usage error.
set -u

BUILD=${1:-}
if [ -z "$BUILD" ] || [ ! -d "$BUILD" ]; then
	echo "usage: $0 BUILD_DIR" >&2
	exit 2
fi
BUILD=$(cd "$BUILD" && pwd)
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SAMVAER=$BUILD/samvaer
ADMIN=$BUILD/samvaer-admin
CALLS_BIN=$BUILD/bench-calls
FLOOR_BIN=$BUILD/bench-udp-floor
CALLS=${MBENCH_CALLS:-500}
CMP_CALLS=${MBENCH_CMP_CALLS:-20}
DURATION=${MBENCH_DURATION:-10}
WARMUP=${MBENCH_WARMUP:-3}
RATE=${MBENCH_RATE:-50}
WITH_JANUS=${MBENCH_JANUS:-1}
PERF=${MBENCH_PERF:-0}

for f in "$SAMVAER" "$ADMIN" "$CALLS_BIN"; do
	[ -x "$f" ] || { echo "bench-media: missing $f (build it first: make bench)" >&2; exit 1; }
done
BENCH_TAG=bench-media BENCH_KEEP_DIR=${MBENCH_KEEP:-} SAMVAER_ARGS="--media-workers 1"
# shellcheck source=scripts/bench-common.sh
. "$ROOT/scripts/bench-common.sh"

# Janus with the VideoRoom plugin only (bench-common.sh), as the server of the comparison run.
start_janus() {
	PORT=$(free_port)
	janus_config videoroom "$PORT" || return 1
	run_janus "$TMP/janus.log"
	SERVER_PID=$JANUS_PID
	if ! wait_port "$PORT" "$SERVER_PID"; then
		echo "bench-media: janus did not start:" >&2
		tail -5 "$TMP/janus.log" >&2
		stop_server
		return 1
	fi
}

# run_calls NAME ARGS...: the load generator on CPU 1; keeps its RESULT line in $TMP/NAME.result.
run_calls() {
	local name=$1 perf_pid=""
	shift
	echo "bench-media: $name: bench-calls $*" >&2
	if [ "$PERF" = 1 ] && [ "$name" = samvaer-capacity ] && command -v perf >/dev/null; then
		perf record -g -o "$TMP/perf.data" -p "$SERVER_PID" -- sleep "$((CALLS / RATE + WARMUP + DURATION))" >/dev/null 2>&1 &
		perf_pid=$!
	fi
	$LG_PIN "$CALLS_BIN" "$@" --server-pid "$SERVER_PID" --rate "$RATE" --warmup "$WARMUP" --duration "$DURATION" \
		2>"$TMP/$name.err" | tee "$TMP/$name.out" >/dev/null
	sed 's/^/    /' "$TMP/$name.err" >&2
	grep '^RESULT ' "$TMP/$name.out" | tail -1 >"$TMP/$name.result"
	if [ -n "$perf_pid" ]; then
		wait "$perf_pid"
		perf report -i "$TMP/perf.data" --stdio --no-children 2>/dev/null | grep -v '^$' | head -80 >"$BUILD/bench-media-perf.txt"
		echo "bench-media: server profile in $BUILD/bench-media-perf.txt" >&2
	fi
	[ -s "$TMP/$name.result" ]
}

val() {
	[ -s "$TMP/$1.result" ] || return 0
	tr ' ' '\n' <"$TMP/$1.result" | sed -n "s/^$2=//p"
}

# ---- seed: call pairs with video calls allowed ----
NEED=$(( 2 * (CALLS > CMP_CALLS ? CALLS : CMP_CALLS) ))
SEED_OK=0
if "$ADMIN" --data "$TMP/seed" bench-seed "$NEED" --calls --tokens "$TMP/tokens.txt" >"$TMP/seed.log" 2>&1; then
	SEED_OK=1
else
	echo "bench-media: samvaer-admin bench-seed failed:" >&2
	tail -5 "$TMP/seed.log" >&2
fi

# ---- phase 1: samvaer and Janus at the same load (CPU per packet, ratio) ----
if [ "$SEED_OK" = 1 ] && start_samvaer cmp; then
	run_calls samvaer-cmp --mode samvaer --port "$PORT" --tokens "$TMP/tokens.txt" --calls "$CMP_CALLS"
	stop_server
fi
if [ "$WITH_JANUS" = 1 ] && start_janus; then
	run_calls janus-cmp --mode janus --port "$PORT" --calls "$CMP_CALLS"
	stop_server
fi

# ---- phase 2: samvaer capacity on one media core ----
if [ "$SEED_OK" = 1 ] && start_samvaer capacity; then
	run_calls samvaer-capacity --mode samvaer --port "$PORT" --tokens "$TMP/tokens.txt" --calls "$CALLS"
	stop_server
fi

# ---- phase 3: the kernel's floor: a bare UDP relay (no ICE, DTLS, SRTP or RTP) with the same traffic shape ----
if [ -x "$FLOOR_BIN" ]; then
	echo "bench-media: udp-floor: bench-udp-floor --calls $CALLS" >&2
	"$FLOOR_BIN" --calls "$CALLS" --warmup "$WARMUP" --duration "$DURATION" 2>"$TMP/udp-floor.err" |
		grep '^RESULT ' | tail -1 >"$TMP/udp-floor.result"
	sed 's/^/    /' "$TMP/udp-floor.err" >&2
fi

# ---- the table ----
row() { printf '%-44s %-24s %-14s %s\n' "$1" "$2" "$3" "$4"; }
check() {
	if [ -z "$1" ] || awk -v v="$1" 'BEGIN { exit !(v < 0) }'; then
		echo "FAIL (not measured)"
	elif awk -v v="$1" -v l="$3" "BEGIN { exit !(v $2 l) }"; then
		echo PASS
	else
		echo FAIL
	fi
}
ms() { [ -n "$1" ] && awk -v v="$1" 'BEGIN { printf "%.2f ms", v / 1000 }' || printf 'n/a'; }
fig() { local v; v=$(val "$1" "$2"); echo "${v:-n/a}"; }

SV_US=$(val samvaer-cmp us_per_pkt)
JN_US=$(val janus-cmp us_per_pkt)
CAP_US=$(val samvaer-capacity us_per_pkt)
RATIO=""
if [ -n "$SV_US" ] && [ -n "$JN_US" ] && awk -v s="$SV_US" 'BEGIN { exit !(s > 0) }'; then
	RATIO=$(awk -v a="$JN_US" -v b="$SV_US" 'BEGIN { printf "%.1f", a / b }')
fi
CAP_UP=$(val samvaer-capacity up)
CAP_LOSS=$(val samvaer-capacity loss_pct)
# The load the generator offered: each call sends 300 RTP packets/s (both sides, audio + video). Below 95 % of
# that the generator, not the server, set the pace, and the capacity verdict cannot be given.
CAP_SENT=$(val samvaer-capacity sent)
CAP_OFFERED=""
if [ -n "$CAP_SENT" ]; then
	CAP_OFFERED=$(awk -v s="$CAP_SENT" -v c="$CALLS" -v d="$DURATION" 'BEGIN { printf "%.1f", 100 * s / (300 * c * d) }')
fi
CAP_OK=""
if [ -n "$CAP_UP" ] && [ "$CAP_UP" -ge "$CALLS" ] && awk -v l="$CAP_LOSS" 'BEGIN { exit !(l >= 0 && l < 0.1) }' &&
	awk -v o="${CAP_OFFERED:-0}" 'BEGIN { exit !(o >= 95) }'; then
	CAP_OK=$CAP_UP
fi
{
echo
echo "Samvaer media bench: 1:1 video calls (audio 50 pps + video 100 pps x 1,200 B each way), ${DURATION} s measured" \
	"after ${WARMUP} s warm-up, calls set up at ${RATE}/s (server ${SRV_PIN:-unpinned}, generator ${LG_PIN:-unpinned})"
# A capacity phase whose server used more than 90 % of its core is overloaded: its setup times are queueing.
overloaded() {
	local cpu
	cpu=$(val samvaer-capacity server_cpu_s)
	[ -n "$cpu" ] && awk -v c="$cpu" -v d="$DURATION" 'BEGIN { exit !(c > 0.9 * d) }' && printf ' (server overloaded)'
}
row "figure" "measured" "target" "result"
row "samvaer, $CMP_CALLS calls: server CPU us/relayed pkt" "$(fig samvaer-cmp us_per_pkt)" "-" "-"
row "Janus VideoRoom, $CMP_CALLS calls: CPU us/relayed pkt" "$(fig janus-cmp us_per_pkt)" "-" "-"
row "Janus / samvaer CPU per packet" "${RATIO:-n/a}x" ">= 3x" "$(check "$RATIO" '>=' 3)"
row "samvaer, $CMP_CALLS calls: loss / latency p50 / p99" \
	"$(fig samvaer-cmp loss_pct)% / $(ms "$(val samvaer-cmp lat_p50_us)") / $(ms "$(val samvaer-cmp lat_p99_us)")" "-" "-"
row "Janus, $CMP_CALLS calls: loss / latency p50 / p99" \
	"$(fig janus-cmp loss_pct)% / $(ms "$(val janus-cmp lat_p50_us)") / $(ms "$(val janus-cmp lat_p99_us)")" "-" "-"
row "samvaer, $CMP_CALLS calls: setup p50 / p99" "$(fig samvaer-cmp setup_p50_ms) / $(fig samvaer-cmp setup_p99_ms) ms" \
	"p99 <= 150 ms" "$(check "$(val samvaer-cmp setup_p99_ms)" '<=' 150)"
row "Janus, $CMP_CALLS calls: setup p50 / p99" "$(fig janus-cmp setup_p50_ms) / $(fig janus-cmp setup_p99_ms) ms" "-" "-"
row "samvaer, $CALLS calls on 1 media core: up" "${CAP_UP:-n/a} of $CALLS" "all" "$(check "${CAP_UP:-}" '>=' "$CALLS")"
row "samvaer, $CALLS calls: load offered by the generator" "${CAP_OFFERED:-n/a}% of $((300 * CALLS)) pkt/s" ">= 95%" \
	"$(check "${CAP_OFFERED:-}" '>=' 95)"
row "samvaer, $CALLS calls: relayed packets/s" "$(fig samvaer-capacity pps)" "-" "-"
row "samvaer, $CALLS calls: server CPU us/relayed pkt" "${CAP_US:-n/a}" "<= 4" "$(check "$CAP_US" '<=' 4)"
row "samvaer, $CALLS calls: loss" "${CAP_LOSS:-n/a}%" "< 0.1%" "$(check "$CAP_LOSS" '<' 0.1)"
row ">= 500 calls on one media core, < 0.1% loss, full load" "${CAP_OK:-no}" ">= 500" "$(check "${CAP_OK:-}" '>=' 500)"
row "samvaer, $CALLS calls: added latency p50 / p99" \
	"$(ms "$(val samvaer-capacity lat_p50_us)") / $(ms "$(val samvaer-capacity lat_p99_us)")" "-" "-"
row "samvaer, $CALLS calls: setup p50 / p99" "$(fig samvaer-capacity setup_p50_ms) / $(fig samvaer-capacity setup_p99_ms) ms" \
	"p99 <= 150 ms" "$(check "$(val samvaer-capacity setup_p99_ms)" '<=' 150)$(overloaded)"
FLOOR_US=$(val udp-floor us_per_pkt)
ABOVE=""
if [ -n "$FLOOR_US" ] && [ -n "$CAP_US" ]; then
	ABOVE=$(awk -v a="$CAP_US" -v b="$FLOOR_US" 'BEGIN { printf "%.2f", a - b }')
fi
row "bare kernel UDP relay, $CALLS calls: us/pkt" "${FLOOR_US:-n/a} (loss $(fig udp-floor loss_pct)%)" "(floor)" "-"
row "samvaer above that floor, us/pkt" "${ABOVE:-n/a}" "(info)" "-"
row "generator CPU (core 1), capacity phase" "$(fig samvaer-capacity gen_cpu_pct)%" "-" "-"
} | tee "$TMP/table.txt"
FAILS=$(grep -c 'FAIL' "$TMP/table.txt")
echo
echo "raw results:"
cat "$TMP"/*.result 2>/dev/null | sed 's/^/  /'
if [ "$FAILS" -gt 0 ]; then
	echo "bench-media: $FAILS target(s) missed"
	exit 1
fi
echo "bench-media: all targets met"
