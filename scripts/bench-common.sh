# bench-common.sh: what scripts/bench.sh, bench-media.sh and bench-mix.sh share, sourced by each: CPU pinning, the
# temporary directory and its cleanup, free ports, waiting for a server, and samvaer started on a fresh copy of the
# seeded data. Before sourcing, the script sets BENCH_TAG (its name in messages), BENCH_KEEP_DIR (1: keep the
# temporary directory), SAMVAER, ROOT, and optionally SAMVAER_ARGS (flags every samvaer it starts gets).
# shellcheck shell=bash

ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null

# Two cores: the server on CPU 0, the load generator on CPU 1, so they do not steal from each other.
SRV_PIN="" LG_PIN=""
if command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then
	# shellcheck disable=SC2034 # LG_PIN is for the sourcing scripts
	SRV_PIN="taskset -c 0" LG_PIN="taskset -c 1"
fi

TMP=$(mktemp -d "/tmp/samvaer-$BENCH_TAG.XXXXXX")
SERVER_PID=""
EXTRA_PIDS=() # other servers a phase keeps running beside SERVER_PID; cleanup stops them too
cleanup() {
	local pid
	for pid in "$SERVER_PID" "${EXTRA_PIDS[@]}"; do
		[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	done
	if [ "${BENCH_KEEP_DIR:-}" = 1 ]; then
		echo "$BENCH_TAG: kept $TMP" >&2
	else
		rm -rf "$TMP"
	fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

free_port() {
	/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# wait_for PID COMMAND...: runs COMMAND every 0.1 s until it succeeds (0), for up to 30 s while PID stays alive.
wait_for() {
	local pid=$1 _
	shift
	for _ in $(seq 300); do
		"$@" 2>/dev/null && return 0
		kill -0 "$pid" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

# wait_log LOG PID PATTERN: waits for PATTERN in LOG from a process that stays alive.
wait_log() { wait_for "$2" grep -q "$3" "$1"; }

# wait_port PORT PID: waits for a TCP listener on 127.0.0.1:PORT from a process that stays alive.
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1"); }
wait_port() { wait_for "$2" port_open "$1"; }

# stop_server: SIGTERM to SERVER_PID, then SIGKILL after 10 s.
stop_server() {
	local _
	[ -n "$SERVER_PID" ] || return 0
	kill -TERM "$SERVER_PID" 2>/dev/null
	for _ in $(seq 100); do
		kill -0 "$SERVER_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$SERVER_PID" 2>/dev/null
	wait "$SERVER_PID" 2>/dev/null
	SERVER_PID=""
}

# start_samvaer NAME [FLAGS...]: samvaer (under $SRV_PIN) on a fresh copy of $TMP/seed and a fresh port, both of its
# output streams in $TMP/server-NAME.log; waits for "listening on"; sets SERVER_PID and PORT.
start_samvaer() {
	local name=$1
	shift
	PORT=$(free_port)
	cp -a "$TMP/seed" "$TMP/data-$name"
	# shellcheck disable=SC2086 # SAMVAER_ARGS is a list of flags
	$SRV_PIN "$SAMVAER" --listen 127.0.0.1 --port "$PORT" --data "$TMP/data-$name" --web "$ROOT/web" \
		--log-level warn "$@" ${SAMVAER_ARGS:-} >"$TMP/server-$name.log" 2>&1 &
	SERVER_PID=$!
	if ! wait_log "$TMP/server-$name.log" "$SERVER_PID" "listening on"; then
		echo "$BENCH_TAG: samvaer did not start for phase $name:" >&2
		tail -5 "$TMP/server-$name.log" >&2
		stop_server
		return 1
	fi
}

# Janus, as the peer a bench compares with: its packaged plugins and transports (Debian's janus, scripts/deps.sh).
JANUS_PLUGINS=/usr/lib/x86_64-linux-gnu/janus/plugins
JANUS_TRANSPORTS=/usr/lib/x86_64-linux-gnu/janus/transports

# libs_except DIR KEEP: the lib*.so in DIR whose names do not contain KEEP, comma-separated (what Janus disables).
libs_except() {
	local f out=""
	for f in "$1"/lib*.so; do
		[ -e "$f" ] || continue
		f=${f##*/}
		case $f in *"$2"*) continue ;; esac
		out=${out:+$out,}$f
	done
	printf '%s\n' "$out"
}

# janus_config PLUGIN PORT: $TMP/janus with Janus's configuration for only PLUGIN (videoroom, audiobridge) and the
# plain WebSocket transport on 127.0.0.1:PORT, ICE-lite on loopback (DESIGN.md), and the loopback shim it preloads.
janus_config() {
	local d=$TMP/janus
	command -v janus >/dev/null && [ -d "$JANUS_PLUGINS" ] || {
		echo "$BENCH_TAG: janus is not installed (scripts/deps.sh)" >&2
		return 1
	}
	mkdir -p "$d" || return 1
	cc -shared -fPIC -O2 -o "$d/loopback_shim.so" "$ROOT/tests/bench/janus/loopback_shim.c" -ldl || return 1
	cat >"$d/janus.jcfg" <<EOF
general: {
	configs_folder = "$d"
	plugins_folder = "$JANUS_PLUGINS"
	transports_folder = "$JANUS_TRANSPORTS"
	events_folder = "/usr/lib/x86_64-linux-gnu/janus/events"
	loggers_folder = "/usr/lib/x86_64-linux-gnu/janus/loggers"
	debug_level = 3
	interface = "127.0.0.1"
	session_timeout = 0
}
certificates: {
}
media: {
	rtp_port_range = "20000-60000"
}
nat: {
	ice_lite = true
	ice_enforce_list = "lo"
	nice_debug = false
}
plugins: {
	disable = "$(libs_except "$JANUS_PLUGINS" "$1")"
}
transports: {
	disable = "$(libs_except "$JANUS_TRANSPORTS" websockets)"
}
events: {
	broadcast = false
}
loggers: {
	disable = "libjanus_jsonlog.so"
}
EOF
	printf 'general: {\n}\n' >"$d/janus.plugin.$1.jcfg"
	cat >"$d/janus.transport.websockets.jcfg" <<EOF
general: {
	json = "plain"
	ws = true
	ws_port = $2
	ws_ip = "127.0.0.1"
	wss = false
}
admin: {
	admin_ws = false
	admin_wss = false
}
EOF
}

# run_janus LOG: Janus from $TMP/janus (janus_config) under $SRV_PIN with the loopback shim, output in LOG; sets
# JANUS_PID. The caller waits for its port.
JANUS_PID=""
run_janus() {
	LD_PRELOAD="$TMP/janus/loopback_shim.so" $SRV_PIN janus -C "$TMP/janus/janus.jcfg" -F "$TMP/janus" >"$1" 2>&1 &
	# shellcheck disable=SC2034 # JANUS_PID is for the sourcing scripts
	JANUS_PID=$!
}
