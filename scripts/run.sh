#!/bin/sh
# run.sh BUILD DATA: seed the demo family on first run, then serve the web app on 127.0.0.1:8080 (with a loopback
# coturn TURN relay when turnserver is installed; SAMVAER_TURN=0 turns that off).
set -eu
cd "$(dirname "$0")/.."
BUILD=${1:-build}
DATA=${2:-data}
PORT=${SAMVAER_PORT:-8080}
TURN_PORT=${SAMVAER_TURN_PORT:-3478}
"$BUILD/samvaer-admin" --data "$DATA" demo

# A demo TURN relay on loopback: coturn with the TURN REST scheme, sharing a secret with samvaer (call.ice).
TURN_PID=""
TURN_ARGS=""
start_turn() {
	command -v turnserver >/dev/null 2>&1 || return 0
	secret="$DATA/turn-secret"
	if [ ! -s "$secret" ]; then
		(umask 077 && od -An -N24 -tx1 /dev/urandom | tr -d ' \n' >"$secret" && echo >>"$secret")
	fi
	conf="$DATA/turnserver.conf"
	(umask 077 && cat >"$conf" <<CONF
listening-ip=127.0.0.1
relay-ip=127.0.0.1
listening-port=$TURN_PORT
min-port=49160
max-port=49260
use-auth-secret
static-auth-secret=$(head -n1 "$secret")
realm=samvaer.local
fingerprint
no-cli
no-tls
no-dtls
no-multicast-peers
allow-loopback-peers
userdb=$DATA/turndb
pidfile=$DATA/turnserver.pid
log-file=$DATA/turn.log
simple-log
CONF
)
	turnserver -c "$conf" >/dev/null 2>&1 &
	TURN_PID=$!
	sleep 0.5
	if ! kill -0 "$TURN_PID" 2>/dev/null; then
		echo "run: turnserver did not start (port $TURN_PORT busy?), see $DATA/turn.log; going on without TURN"
		TURN_PID=""
		return 0
	fi
	TURN_ARGS="--turn-uris turn:127.0.0.1:$TURN_PORT?transport=udp,turn:127.0.0.1:$TURN_PORT?transport=tcp --turn-secret-file $secret"
	echo "run: TURN relay (coturn) on 127.0.0.1:$TURN_PORT, log $DATA/turn.log"
}
stop_turn() {
	[ -n "$TURN_PID" ] && kill "$TURN_PID" 2>/dev/null || true
	TURN_PID=""
}
[ "${SAMVAER_TURN:-1}" = 0 ] || start_turn

echo
echo "Open http://127.0.0.1:$PORT/ and log in as mia (the child) and, in a second browser, as andrei (her father)."
echo "Stop with Ctrl-C."
# samvaer runs as a child so the relay is stopped with it; INT/TERM to this script stop samvaer cleanly.
# shellcheck disable=SC2086 # TURN_ARGS holds separate flags
"$BUILD/samvaer" --listen 127.0.0.1 --port "$PORT" --data "$DATA" --web web $TURN_ARGS &
SERVER_PID=$!
trap 'kill -TERM "$SERVER_PID" 2>/dev/null || true' INT TERM
status=0
wait "$SERVER_PID" || status=$?
if kill -0 "$SERVER_PID" 2>/dev/null; then # woken by a signal: wait for samvaer to finish
	wait "$SERVER_PID" || status=$?
fi
stop_turn
exit "$status"
