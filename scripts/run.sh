#!/bin/sh
# run.sh BUILD DATA: seed the demo family on first run, then serve the web app on 127.0.0.1:8080.
set -eu
cd "$(dirname "$0")/.."
BUILD=${1:-build}
DATA=${2:-data}
PORT=${SAMVAER_PORT:-8080}
"$BUILD/samvaer-admin" --data "$DATA" demo
echo
echo "Open http://127.0.0.1:$PORT/ and log in as mia (the child) and, in a second browser, as andrei (her father)."
echo "Stop with Ctrl-C."
exec "$BUILD/samvaer" --listen 127.0.0.1 --port "$PORT" --data "$DATA" --web web
