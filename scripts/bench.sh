#!/bin/bash
# bench.sh: the messaging benchmark behind `make bench`: bare lws echo ceiling, then samvaer saturated, paced and idle, against the targets.
# Usage: scripts/bench.sh BUILD_DIR   (make has built samvaer, samvaer-admin, bench-loadgen and bench-echo there)
# Knobs (environment): BENCH_CONNS=1000 BENCH_IDLE_CONNS=10000 BENCH_DURATION=10 BENCH_WARMUP=2 BENCH_RATE=5000
#   BENCH_WINDOW=4 BENCH_PERF=0 (1: perf-record the server during the saturated phase, report in BUILD/bench-perf.txt)
#   BENCH_KEEP= (1: keep the temporary directory with server logs and raw results)
#   BENCH_SEED_ARGS= (e.g. "--windows": every agreement gets all-week contact windows and call limits)
#   BENCH_SERVER_ARGS= (extra samvaer flags, e.g. "--sync-full 0" to compare without fsync)
#   BENCH_STALL_CONNS=2000 (half of them stop reading) BENCH_STALL_RATE=5000 BENCH_STALL_DURATION=30
#   BENCH_FLOOD_CONNS=1000 BENCH_FLOOD_RATE=2000 BENCH_FLOOD_DURATION=16 BENCH_FLOOD_ROUNDS=3
#   BENCH_ONLY= (backpressure: only the stalled-reader and flood phases; photos: only the photo phases)
#   BENCH_PHOTO_ROUNDS=10 (photo CPU rounds, scripts/bench-photos.sh) BENCH_PHOTO_P99_ROUNDS=3 (runs of the
#   photos-beside-messaging phase) BENCH_PHOTO_DURATION=40 (seconds measured in each) BENCH_PHOTO_FLOOR_ROUNDS=3
#   (runs with the photos sent to a second, idle server instead: the host's own floor) BENCH_PHOTO_SPIN_ROUNDS=3
#   (runs with only a do-nothing CPU loop at SCHED_IDLE beside the load generator in the loaded periods: the least
#   any work there costs)
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
LOADGEN=$BUILD/bench-loadgen
ECHO=$BUILD/bench-echo
CONNS=${BENCH_CONNS:-1000}
IDLE_CONNS=${BENCH_IDLE_CONNS:-10000}
DURATION=${BENCH_DURATION:-10}
WARMUP=${BENCH_WARMUP:-2}
RATE=${BENCH_RATE:-5000}
WINDOW=${BENCH_WINDOW:-4}
PERF=${BENCH_PERF:-0}
STALL_CONNS=${BENCH_STALL_CONNS:-2000}
STALL_RATE=${BENCH_STALL_RATE:-5000}
STALL_DURATION=${BENCH_STALL_DURATION:-30}
FLOOD_CONNS=${BENCH_FLOOD_CONNS:-1000}
FLOOD_RATE=${BENCH_FLOOD_RATE:-2000}
FLOOD_DURATION=${BENCH_FLOOD_DURATION:-16}
FLOOD_ROUNDS=${BENCH_FLOOD_ROUNDS:-3}
ONLY=${BENCH_ONLY:-}

for f in "$SAMVAER" "$ADMIN" "$LOADGEN" "$ECHO"; do
	[ -x "$f" ] || { echo "bench: missing $f (build it first: make bench)" >&2; exit 1; }
done
BENCH_TAG=bench BENCH_KEEP_DIR=${BENCH_KEEP:-} SAMVAER_ARGS=${BENCH_SERVER_ARGS:-}
# shellcheck source=scripts/bench-common.sh
. "$ROOT/scripts/bench-common.sh"
# run_loadgen NAME ARGS...: runs the load generator, keeps its RESULT line in $TMP/NAME.result.
run_loadgen() {
	local name=$1 perf_pid=""
	shift
	echo "bench: $name: bench-loadgen $*" >&2
	if [ "$PERF" = 1 ] && [ "$name" = samvaer-saturated ] && command -v perf >/dev/null; then
		perf record -g -o "$TMP/perf.data" -p "$SERVER_PID" -- sleep "$((WARMUP + DURATION))" >/dev/null 2>&1 &
		perf_pid=$!
	fi
	$LG_PIN "$LOADGEN" "$@" --server-pid "$SERVER_PID" 2>"$TMP/$name.err" | tee "$TMP/$name.out" >/dev/null
	sed 's/^/    /' "$TMP/$name.err" >&2
	grep '^RESULT ' "$TMP/$name.out" | tail -1 >"$TMP/$name.result"
	if [ -n "$perf_pid" ]; then
		wait "$perf_pid"
		perf report -i "$TMP/perf.data" --stdio --no-children 2>/dev/null | grep -v '^$' | head -80 >"$BUILD/bench-perf.txt"
		echo "bench: server profile in $BUILD/bench-perf.txt" >&2
	fi
	[ -s "$TMP/$name.result" ]
}

# cpu_ticks: "total steal" jiffies of all CPUs from /proc/stat (steal = time the hypervisor ran something else).
cpu_ticks() { awk '/^cpu /{ t = 0; for (i = 2; i <= NF; i++) t += $i; print t, $9 }' /proc/stat; }
# steal_pct BEFORE AFTER: percentage of CPU time stolen between two cpu_ticks samples.
steal_pct() { echo "$1 $2" | awk '{ d = $3 - $1; printf "%.0f", (d > 0 ? 100 * ($4 - $2) / d : 0) }'; }

# val NAME KEY: a field of a phase's RESULT line ("" if the phase did not run).
val() {
	[ -s "$TMP/$1.result" ] || return 0
	tr ' ' '\n' <"$TMP/$1.result" | sed -n "s/^$2=//p"
}

# ---- phase 0: seed accounts, agreements and sessions ----
NEED=$(( IDLE_CONNS > CONNS ? IDLE_CONNS : CONNS ))
NEED=$(( STALL_CONNS > NEED ? STALL_CONNS : NEED ))
NEED=$(( FLOOD_CONNS > NEED ? FLOOD_CONNS : NEED ))
SEED_OK=0
t0=$(date +%s.%N)
if "$ADMIN" --data "$TMP/seed" bench-seed "$NEED" ${BENCH_SEED_ARGS:-} --tokens "$TMP/tokens.txt" >"$TMP/seed.log" 2>&1 &&
	[ "$(wc -l <"$TMP/tokens.txt")" -ge "$NEED" ]; then
	SEED_OK=1
	echo "bench: seeded $NEED accounts in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s" >&2
else
	echo "bench: samvaer-admin bench-seed failed; samvaer phases skipped:" >&2
	tail -5 "$TMP/seed.log" >&2
fi

# scrape NAME: the backpressure counters from the running server's /metrics into $TMP/NAME.metrics
scrape() {
	curl -s "http://127.0.0.1:$PORT/metrics" |
		grep -E '^samvaer_(slow_consumer_closes_total|output_queued_bytes|sends_rate_limited_total) ' >"$TMP/$1.metrics"
}
# metric NAME KEY: a counter scraped by scrape NAME ("" if absent)
metric() { [ -s "$TMP/$1.metrics" ] && awk -v k="samvaer_$2" '$1 == k { print $2 }' "$TMP/$1.metrics"; }

if [ "$ONLY" != backpressure ] && [ "$ONLY" != photos ]; then
# ---- phase 1: the bare lws echo ceiling ----
PORT=$(free_port)
$SRV_PIN "$ECHO" "$PORT" 2>"$TMP/echo.log" &
SERVER_PID=$!
if wait_log "$TMP/echo.log" "$SERVER_PID" "listening on"; then
	run_loadgen echo --mode echo --port "$PORT" --conns "$CONNS" --window "$WINDOW" \
		--duration "$DURATION" --warmup "$WARMUP"
fi
stop_server

# ---- phase 1b: the same echo server paced like samvaer's paced phase: the latency floor of this machine ----
PORT=$(free_port)
$SRV_PIN "$ECHO" "$PORT" 2>"$TMP/echo-paced.log" &
SERVER_PID=$!
if wait_log "$TMP/echo-paced.log" "$SERVER_PID" "listening on"; then
	ticks0=$(cpu_ticks)
	run_loadgen echo-paced --mode echo --port "$PORT" --conns "$CONNS" --rate "$RATE" \
		--duration "$DURATION" --warmup "$WARMUP"
	ECHO_PACED_STEAL=$(steal_pct "$ticks0" "$(cpu_ticks)")
fi
stop_server

# ---- phases 2-4: samvaer saturated, paced, idle ----
if [ "$SEED_OK" = 1 ]; then
	# saturated: each client keeps 4 sends in flight, far past the per-account send limit (10/s): off here
	if start_samvaer saturated --send-rate 0; then
		run_loadgen samvaer-saturated --mode samvaer --port "$PORT" --tokens "$TMP/tokens.txt" \
			--conns "$CONNS" --window "$WINDOW" --duration "$DURATION" --warmup "$WARMUP"
		stop_server
	fi
	if start_samvaer paced; then
		ticks0=$(cpu_ticks)
		run_loadgen samvaer-paced --mode samvaer --port "$PORT" --tokens "$TMP/tokens.txt" \
			--conns "$CONNS" --rate "$RATE" --duration "$DURATION" --warmup "$WARMUP"
		PACED_STEAL=$(steal_pct "$ticks0" "$(cpu_ticks)")
		stop_server
	fi
	if start_samvaer idle; then
		run_loadgen samvaer-idle --mode samvaer --idle --hold 2 --port "$PORT" --tokens "$TMP/tokens.txt" \
			--conns "$IDLE_CONNS" --connect-timeout 90
		stop_server
	fi
fi
fi # BENCH_ONLY

# ---- phase 8: paced messaging while photos are processed without pause beside it. Within each run, photos load
# the server in alternate periods of PHOTO_PERIOD seconds (tests/bench/photo_load.py, three uploads at a time, each
# paced at 25 MB/s in 64 KB writes, processed by its pool without pause) and leave it quiet in the others; the
# load generator sorts each message by the period it was sent in (--alt-period), dropping the first PHOTO_GUARD
# seconds of every period while the photos start or drain. The quiet periods are the peer measured in the same
# run: the host's speed drifts between runs by more than the 10 % this phase looks for. The server may use both
# CPUs here, as on a real two-CPU machine: it keeps CPU 0 for its control thread and runs the pool on CPU 1
# (server/base/cpu_place.h), beside the load generator. ----
PHOTO_P99_ROUNDS=${BENCH_PHOTO_P99_ROUNDS:-3}
PHOTO_DURATION=${BENCH_PHOTO_DURATION:-40}
PHOTO_FLOOR_ROUNDS=${BENCH_PHOTO_FLOOR_ROUNDS:-3}
PHOTO_SPIN_ROUNDS=${BENCH_PHOTO_SPIN_ROUNDS:-3}
PHOTO_PERIOD=2
PHOTO_GUARD=0.5
PHOTO_PLACE=""
# photo_run NAME PHOTO_PORT LOADFILE [CLIENT_PREFIX...]: paced messages to the server at $PORT, measured as
# samvaer-NAME, while photo_load.py uploads to PHOTO_PORT in the even periods (its tally in $TMP/LOADFILE).
photo_run() {
	local name=$1 photo_port=$2 loadfile=$3 load_pid
	shift 3
	$LG_PIN "$@" /usr/bin/python3 "$ROOT/tests/bench/photo_load.py" "$photo_port" "$PHOTO_TOKEN" "$PHOTO_AG" \
		"$TMP/photo.jpg" "$((WARMUP + PHOTO_DURATION + 1))" 3 "$PHOTO_PERIOD" >"$TMP/$loadfile" 2>&1 &
	load_pid=$!
	run_loadgen "samvaer-$name" --mode samvaer --port "$PORT" --tokens "$TMP/tokens.txt" --conns "$CONNS" \
		--rate "$RATE" --duration "$PHOTO_DURATION" --warmup "$WARMUP" --alt-period "$PHOTO_PERIOD" \
		--alt-guard "$PHOTO_GUARD"
	wait "$load_pid"
}
if [ "$SEED_OK" = 1 ] && { [ -z "$ONLY" ] || [ "$ONLY" = photos ]; }; then
	ffmpeg -v error -y -f lavfi -i "testsrc2=size=4000x3000,noise=alls=10:allf=t,gblur=sigma=0.8" -frames:v 1 \
		-q:v 2 "$TMP/photo.jpg" 2>/dev/null
	sqlite3 "$TMP/seed/samvaer.db" "UPDATE agreements SET ch_photo = 'allowed'"
	read -r PHOTO_TOKEN PHOTO_AG < <(sed -n 2p "$TMP/tokens.txt")
	SRV_PIN_ALONE=$SRV_PIN
	[ -n "$SRV_PIN" ] && SRV_PIN="taskset -c 0,1"
	for round in $(seq "$PHOTO_P99_ROUNDS"); do
		start_samvaer "photos-$round" || continue
		[ -z "$PHOTO_PLACE" ] && PHOTO_PLACE=$(for t in /proc/"$SERVER_PID"/task/*; do
			printf '%s:%s ' "$(cat "$t/comm")" "$(sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' "$t/status")"
		done | tr ' ' '\n' | sort | uniq -c | awk '{ printf "%s%s x%d", sep, $2, $1; sep = ", " }')
		photo_run "photos-$round" "$PORT" "photos-$round.load"
		stop_server
	done
	# The floor: the same photo traffic, same periods, to a second server alone on CPU 1 with every thread at
	# SCHED_IDLE (and its client too), while the measured server gets only the messages. What the photos cost the
	# messages here is the host's (the shared disk, CPU 1 shared with the load generator, the caches), not samvaer's.
	[ -z "$SRV_PIN_ALONE" ] && PHOTO_FLOOR_ROUNDS=0 # the floor needs a second CPU and taskset
	for round in $(seq "$PHOTO_FLOOR_ROUNDS"); do
		SRV_PIN="taskset -c 1 chrt -i 0" start_samvaer "photo-floor-sink-$round" || continue
		EXTRA_PIDS=("$SERVER_PID") FLOOR_PORT=$PORT SERVER_PID="" # cleanup stops it too
		SRV_PIN="taskset -c 0,1"
		if start_samvaer "photos-floor-$round"; then
			photo_run "photos-floor-$round" "$FLOOR_PORT" "floor-$round.load" chrt -i 0
			stop_server
		fi
		kill "${EXTRA_PIDS[0]}" 2>/dev/null && wait "${EXTRA_PIDS[0]}" 2>/dev/null
		EXTRA_PIDS=()
	done
	# The spin floor: no photos anywhere, only a loop that touches no memory, disk or network, at SCHED_IDLE on the
	# load generator's CPU in the loaded periods: what work that is not the server's costs the messages on this host.
	[ -z "$SRV_PIN_ALONE" ] && PHOTO_SPIN_ROUNDS=0
	for round in $(seq "$PHOTO_SPIN_ROUNDS"); do
		start_samvaer "photos-spin-$round" || continue
		$LG_PIN chrt -i 0 /usr/bin/python3 "$ROOT/tests/bench/spin_load.py" "$((WARMUP + PHOTO_DURATION + 1))" \
			"$PHOTO_PERIOD" >"$TMP/spin-$round.load" 2>&1 &
		spin_pid=$!
		run_loadgen "samvaer-photos-spin-$round" --mode samvaer --port "$PORT" --tokens "$TMP/tokens.txt" \
			--conns "$CONNS" --rate "$RATE" --duration "$PHOTO_DURATION" --warmup "$WARMUP" \
			--alt-period "$PHOTO_PERIOD" --alt-guard "$PHOTO_GUARD"
		wait "$spin_pid"
		stop_server
	done
	SRV_PIN=$SRV_PIN_ALONE
fi

# ---- phases 5-6: half the clients stop reading while the other half send to them (2 KB messages), then the same
# traffic with everyone reading: the difference in server memory is what the stalled readers hold ----
if [ "$SEED_OK" = 1 ] && [ "$ONLY" != photos ]; then
	for kind in stalled stall-control; do
		if start_samvaer "$kind"; then
			run_loadgen "samvaer-$kind" --mode samvaer --port "$PORT" --tokens "$TMP/tokens.txt" \
				--stall "$([ $kind = stalled ] && echo 1 || echo 2)" --conns "$STALL_CONNS" --rate "$STALL_RATE" \
				--text-len 2000 --duration "$STALL_DURATION" --warmup 2
			scrape "samvaer-$kind"
			stop_server
		fi
	done
fi

# ---- phase 7: one account floods msg.send (256 in flight) among paced clients, on and off: it floods for a second,
# is gone for a second (closed; then it reconnects and floods again), and the others' latency is split by whether
# the flood was on when they sent, so both halves see the same machine; FLOOD_ROUNDS runs on fresh servers ----
if [ "$SEED_OK" = 1 ] && [ "$ONLY" != photos ]; then
	for round in $(seq "$FLOOD_ROUNDS"); do
		if start_samvaer "flood-$round"; then
			run_loadgen "samvaer-flood-$round" --mode samvaer --port "$PORT" --tokens "$TMP/tokens.txt" \
				--conns "$FLOOD_CONNS" --rate "$FLOOD_RATE" --flood 1 --flood-window 256 --flood-period 1 \
				--duration "$FLOOD_DURATION" --warmup 2
			scrape "samvaer-flood-$round"
			stop_server
		fi
	done
fi

# ---- the table ----
# row LABEL MEASURED TARGET VERDICT
row() { printf '%-46s %-20s %-16s %s\n' "$1" "$2" "$3" "$4"; }
# check VALUE OP LIMIT: PASS or FAIL; an empty or negative VALUE means the figure was not measured.
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
num() { local v; v=$(val "$1" "$2"); echo "${v:-0}"; }
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'; }

ECHO_RATE=$(val echo rate)
SAT_RATE=$(val samvaer-saturated rate)
RATIO=""
if [ -n "$ECHO_RATE" ] && [ -n "$SAT_RATE" ] && [ "$ECHO_RATE" != 0 ]; then
	RATIO=$(awk -v a="$SAT_RATE" -v b="$ECHO_RATE" 'BEGIN { printf "%.1f", 100 * a / b }')
fi
# The same ratio from CPU cost (echo server CPU per round trip / samvaer CPU per message): it does not move
# when other work on the machine starves one phase and not the other, so it is the figure to compare runs by.
CPU_RATIO=""
ECHO_CPU=$(val echo cpu_s_per_1k)
SAT_CPU=$(val samvaer-saturated cpu_s_per_1k)
if [ -n "$ECHO_CPU" ] && [ -n "$SAT_CPU" ] && awk -v c="$SAT_CPU" 'BEGIN { exit !(c > 0) }'; then
	CPU_RATIO=$(awk -v e="$ECHO_CPU" -v c="$SAT_CPU" 'BEGIN { printf "%.1f", 100 * e / c }')
fi
PACED_P99=$(val samvaer-paced p99_us)
PACED_RATE=$(val samvaer-paced rate)
IDLE_KB=$(val samvaer-idle per_conn_kb)
IDLE_UP=$(val samvaer-idle ready)
ERRORS=""
if [ "$SEED_OK" = 1 ]; then
	ERRORS=0
	for p in samvaer-saturated samvaer-paced samvaer-idle; do
		ERRORS=$((ERRORS + $(num $p errors) + $(num $p closes) + $(num $p failed)))
	done
fi

{
if [ "$ONLY" != backpressure ] && [ "$ONLY" != photos ]; then
echo
echo "Samvaer messaging bench: $CONNS connections in pairs, ${DURATION} s per phase after ${WARMUP} s warm-up" \
	"(server ${SRV_PIN:-unpinned}, loadgen ${LG_PIN:-unpinned})"
row "figure" "measured" "target" "result"
row "echo ceiling (bare lws+libev), round trips/s" "${ECHO_RATE:-n/a}" "-" "-"
row "echo p50 / p99 round trip" "$(ms "$(val echo p50_us)") / $(ms "$(val echo p99_us)")" "-" "-"
row "echo server CPU s per 1,000 round trips" "$(val echo cpu_s_per_1k)" "-" "-"
row "samvaer saturated, messages delivered/s" "${SAT_RATE:-n/a}" "-" "-"
row "samvaer saturated / echo ceiling" "${RATIO:-n/a}%" ">= 50%" "$(check "$RATIO" '>=' 50)"
row "  same from CPU cost (echo CPU / samvaer CPU)" "${CPU_RATIO:-n/a}%" "(info)" "-"
row "samvaer saturated p50 / p99 send->deliver" \
	"$(ms "$(val samvaer-saturated p50_us)") / $(ms "$(val samvaer-saturated p99_us)")" "-" "-"
row "samvaer saturated CPU s per 1,000 msgs" "$(val samvaer-saturated cpu_s_per_1k)" "-" "-"
row "samvaer paced ${RATE}/s, delivered/s" "${PACED_RATE:-n/a}" ">= 95% of $RATE" \
	"$(check "$PACED_RATE" '>=' "$(awk -v r="$RATE" 'BEGIN { print 0.95 * r }')")"
row "samvaer paced p50 / p99 send->deliver" "$(ms "$(val samvaer-paced p50_us)") / $(ms "$PACED_P99")" \
	"p99 <= 5 ms" "$(check "$PACED_P99" '<=' 5000)"
row "  echo paced ${RATE}/s p50 / p99 (machine floor)" "$(ms "$(val echo-paced p50_us)") / $(ms "$(val echo-paced p99_us)")" \
	"(info)" "-"
row "  CPU time stolen by the hypervisor (echo/samvaer)" "${ECHO_PACED_STEAL:-n/a}% / ${PACED_STEAL:-n/a}%" "(info)" "-"
row "samvaer paced CPU s per 1,000 msgs" "$(val samvaer-paced cpu_s_per_1k)" "-" "-"
row "idle authenticated connections held" "${IDLE_UP:-n/a} of $IDLE_CONNS" "all" \
	"$(check "${IDLE_UP:-}" '>=' "$IDLE_CONNS")"
row "server memory per idle connection" "${IDLE_KB:-n/a} KB" "<= 16 KB" "$(check "$IDLE_KB" '<=' 16)"
row "error responses + failed/dropped connections" "${ERRORS:-n/a}" "0" "$(check "$ERRORS" '<=' 0)"
fi # BENCH_ONLY
if [ "$ONLY" != photos ]; then
echo
echo "Backpressure: $((STALL_CONNS / 2)) readers stall while $((STALL_CONNS / 2)) clients send them ${STALL_RATE} msg/s of" \
	"2 KB for ${STALL_DURATION} s; then one account floods on and off (1 s each) among $FLOOD_CONNS paced clients" \
	"(${FLOOD_RATE} msg/s)"
row "figure" "measured" "target" "result"
row "stalled readers cut off (slow_consumer) by the end" \
	"$(metric samvaer-stalled slow_consumer_closes_total) of $((STALL_CONNS / 2))" "(info: the rest at out_stall_s)" "-"
S0=$(val samvaer-stalled rss_start_kb) SH=$(val samvaer-stalled rss_half_kb) SP=$(val samvaer-stalled rss_peak_kb)
SE=$(val samvaer-stalled server_rss_kb)
C0=$(val samvaer-stall-control rss_start_kb) CH=$(val samvaer-stall-control rss_half_kb)
CP=$(val samvaer-stall-control rss_peak_kb) CE=$(val samvaer-stall-control server_rss_kb)
HELD="" TREND=""
if [ -n "$S0" ] && [ -n "$C0" ]; then
	HELD=$(( ((SP - S0) - (CP - C0)) / 1024 ))
	TREND=$(( ((SE - SH) - (CE - CH)) / 1024 ))
fi
row "server RSS growth, stalled / all reading" "$(( (${SP:-0} - ${S0:-0}) / 1024 )) / $(( (${CP:-0} - ${C0:-0}) / 1024 )) MB" \
	"(info)" "-"
row "  memory held by the stalled readers at peak" "${HELD:-n/a} MB" "<= 80 MB (budget 64)" "$(check "$HELD" '<=' 80)"
row "  RSS over the last half, stalled minus control" "${TREND:-n/a} MB" "<= 8 MB (flat)" "$(check "$TREND" '<=' 8)"
STALL_ACKS=$(val samvaer-stalled acks)
row "senders' messages acknowledged while readers stall" "${STALL_ACKS:-n/a}" ">= 95% of $((STALL_RATE * STALL_DURATION))" \
	"$(check "$STALL_ACKS" '>=' "$(( STALL_RATE * STALL_DURATION * 95 / 100 ))")"
# median of the rounds: other work on the shared machine starves a whole round now and then
FAIR_P99=$(for r in $(seq "$FLOOD_ROUNDS"); do val "samvaer-flood-$r" off_p99_us; done | median)
FLOOD_P99=$(for r in $(seq "$FLOOD_ROUNDS"); do val "samvaer-flood-$r" p99_us; done | median)
RATIOS=$(for r in $(seq "$FLOOD_ROUNDS"); do
	awk -v a="$(val samvaer-flood-$r p99_us)" -v b="$(val samvaer-flood-$r off_p99_us)" \
		'BEGIN { if (a != "" && b > 0) printf "%.2f\n", a / b }'; done)
P99_RATIO=$(echo "$RATIOS" | median)
row "others' p99, flood off / on (median of $FLOOD_ROUNDS)" "$(ms "$FAIR_P99") / $(ms "$FLOOD_P99")" "-" "-"
row "  ratio on / off, median of the rounds" "${P99_RATIO:-n/a}" "<= 1.10" "$(check "$P99_RATIO" '<=' 1.10)"
row "  each round's ratio" "$(echo $RATIOS)" "(info)" "-"
row "  others' p50, flood off / on (round 1)" \
	"$(ms "$(val samvaer-flood-1 off_p50_us)") / $(ms "$(val samvaer-flood-1 p50_us)")" "(info)" "-"
row "  machine load average (1 min) at the end" "$(cut -d' ' -f1 /proc/loadavg)" "(info: 2 cores)" "-"
F_OK=$(val samvaer-flood-1 flood_ok) F_LIM=$(val samvaer-flood-1 flood_limited)
F_CAP=$(awk -v d="$FLOOD_DURATION" 'BEGIN { printf "%d", 10 * d + 60 }')
row "flooder: accepted / refused send_rate_limited (round 1)" "${F_OK:-n/a} / ${F_LIM:-n/a}" "<= $F_CAP / > 0" \
	"$( [ "$(check "$F_OK" '<=' "$F_CAP")" = PASS ] && [ "$(check "$F_LIM" '>' 0)" = PASS ] && echo PASS || echo FAIL)"
B_ERR=0
for p in samvaer-stalled samvaer-stall-control $(for r in $(seq "$FLOOD_ROUNDS"); do echo samvaer-flood-$r; done); do
	B_ERR=$((B_ERR + $(num $p errors) + $(num $p closes) + $(num $p failed)))
done
row "others' errors + failed/dropped connections" "$B_ERR" "0" "$(check "$B_ERR" '<=' 0)"
fi # BENCH_ONLY != photos
if [ -z "$ONLY" ] || [ "$ONLY" = photos ]; then
echo
echo "Photos beside messaging: paced ${RATE} msg/s on $CONNS connections; 12 MP JPEGs uploaded three at a time and" \
	"processed by the server's pool without pause in alternate ${PHOTO_PERIOD} s periods, the others quiet;" \
	"$PHOTO_P99_ROUNDS runs of ${PHOTO_DURATION} s"
row "figure" "measured" "target" "result"
P_OFF=$(for r in $(seq "$PHOTO_P99_ROUNDS"); do val "samvaer-photos-$r" off_p99_us; done | median)
P_ON=$(for r in $(seq "$PHOTO_P99_ROUNDS"); do val "samvaer-photos-$r" p99_us; done | median)
P_RATIOS=$(for r in $(seq "$PHOTO_P99_ROUNDS"); do
	awk -v a="$(val samvaer-photos-$r p99_us)" -v b="$(val samvaer-photos-$r off_p99_us)" \
		'BEGIN { if (a != "" && b > 0) printf "%.2f\n", a / b }'; done)
P_RATIO=$(echo "$P_RATIOS" | median)
PHOTOS_DONE=$(cat "$TMP"/photos-*.load 2>/dev/null | awk '/^photos /{ n += $2 } END { print n + 0 }')
PHOTOS_BUSY=$(cat "$TMP"/photos-*.load 2>/dev/null | awk '/^photos /{ n += $4 } END { print n + 0 }')
PHOTOS_REFUSED=$(cat "$TMP"/photos-*.load 2>/dev/null | awk '/^photos /{ n += $6 } END { print n + 0 }')
row "paced p99 quiet / with photos (median)" "$(ms "$P_OFF") / $(ms "$P_ON")" "-" "-"
row "  ratio with / quiet, median of the runs" "${P_RATIO:-n/a}" "<= 1.10" "$(check "$P_RATIO" '<=' 1.10)"
row "  each run's ratio" "$(echo $P_RATIOS)" "(info)" "-"
F_RATIOS=$(for r in $(seq "$PHOTO_FLOOR_ROUNDS"); do
	awk -v a="$(val samvaer-photos-floor-$r p99_us)" -v b="$(val samvaer-photos-floor-$r off_p99_us)" \
		'BEGIN { if (a != "" && b > 0) printf "%.2f\n", a / b }'; done)
F_RATIO=$(echo "$F_RATIOS" | median)
FLOOR_DONE=$(cat "$TMP"/floor-*.load 2>/dev/null | awk '/^photos /{ n += $2 } END { print n + 0 }')
if [ "$PHOTO_FLOOR_ROUNDS" -gt 0 ]; then
	row "  floor: photos to a 2nd, idle server" "${F_RATIO:-n/a} ($(echo $F_RATIOS))" "(info)" "-"
	row "  samvaer's own share: ratio / floor" \
		"$(awk -v a="$P_RATIO" -v b="$F_RATIO" 'BEGIN { if (a != "" && b > 0) printf "%.2f", a / b; else print "n/a" }')" \
		"(info)" "-"
	row "  photos the floor's second server processed" "$FLOOR_DONE" "> 0" "$(check "$FLOOR_DONE" '>' 0)"
fi
S_RATIOS=$(for r in $(seq "$PHOTO_SPIN_ROUNDS"); do
	awk -v a="$(val samvaer-photos-spin-$r p99_us)" -v b="$(val samvaer-photos-spin-$r off_p99_us)" \
		'BEGIN { if (a != "" && b > 0) printf "%.2f\n", a / b }'; done)
if [ "$PHOTO_SPIN_ROUNDS" -gt 0 ]; then
	S_RATIO=$(echo "$S_RATIOS" | median)
	row "  spin floor: an idle CPU loop, no photos" "${S_RATIO:-n/a} ($(echo $S_RATIOS))" "(info)" "-"
	row "  samvaer's photos over the spin floor" \
		"$(awk -v a="$P_RATIO" -v b="$S_RATIO" 'BEGIN { if (a != "" && b > 0) printf "%.2f", a / b; else print "n/a" }')" \
		"(info)" "-"
	row "  CPU the idle loop got, run 1" "$(sed -n 's/^spun //p' "$TMP/spin-1.load" 2>/dev/null)" "(info)" "-"
fi
row "  samples per run with photos / quiet (run 1)" \
	"$(val samvaer-photos-1 samples) / $(val samvaer-photos-1 off_samples)" "(info)" "-"
row "  photos processed" "$PHOTOS_DONE" "> 0" "$(check "$PHOTOS_DONE" '>' 0)"
row "  photos per loaded second (pool never idle)" \
	"$(awk -v n="$PHOTOS_DONE" -v s="$(awk -v r="$PHOTO_P99_ROUNDS" -v d="$((WARMUP + PHOTO_DURATION + 1))" \
		'BEGIN { print r * d / 2 }')" 'BEGIN { printf "%.1f", n / s }')" "(info)" "-"
row "  uploads answered busy / refused" "$PHOTOS_BUSY / $PHOTOS_REFUSED" "(info) / 0" \
	"$(check "$PHOTOS_REFUSED" '<=' 0)"
row "  server threads (name:CPUs)" "${PHOTO_PLACE:-n/a}" "(info)" "-"
row "  paced delivered/s (run 1)" "$(val samvaer-photos-1 rate)" ">= 95% of $RATE" \
	"$(check "$(val samvaer-photos-1 rate)" '>=' "$(awk -v r="$RATE" 'BEGIN { print 0.95 * r }')")"
fi
} | tee "$TMP/table.txt"
if [ "$ONLY" != backpressure ]; then
	"$ROOT/scripts/bench-photos.sh" "$BUILD" | tee -a "$TMP/table.txt"
fi
FAILS=$(grep -c 'FAIL' "$TMP/table.txt")
echo
echo "raw results:"
cat "$TMP"/*.result 2>/dev/null | sed 's/^/  /'
if [ "$FAILS" -gt 0 ]; then
	echo "bench: $FAILS target(s) missed"
	exit 1
fi
echo "bench: all targets met"
