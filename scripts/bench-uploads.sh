#!/bin/sh
# bench-uploads.sh: upload throughput of /files/ (tus) for a 100 MB clip over loopback, MB/s per core of server CPU,
# beside a bare socket reader of the same bytes in the same run (tests/bench/upload.py). Part of `make bench`.
# Usage: scripts/bench-uploads.sh BUILD_DIR   Knobs: BENCH_UPLOAD_MB=100 BENCH_UPLOAD_ROUNDS=3 BENCH_UPLOAD_DIR=(tmp)
set -u
BUILD=${1:?usage: $0 BUILD_DIR}
exec /usr/bin/python3 "$(dirname "$0")/../tests/bench/upload.py" "$BUILD"
