#!/bin/sh
# test.sh BUILD ASAN_BUILD FUZZ_BUILD JOBS: `make test` once the normal build is made.
# 1. The normal build's tests (unit, integration, browser), JOBS at a time. They mostly wait (media, timers, window
#    ends) and leave about one CPU idle, so the ASan+UBSan and fuzz builds compile beside them at idle priority
#    (SCHED_IDLE, or nice 19 where that is refused): the compilers get only CPU time no test wants.
# 2. The same unit and integration tests under ASan+UBSan.
# 3. The fuzz smoke (scripts/fuzz.sh smoke).
# Like make, it stops at the first step that fails, with that step's status.
set -u
cd "$(dirname "$0")/.." || exit
BUILD=$1 ASAN_BUILD=$2 FUZZ_BUILD=$3 JOBS=$4

idle() {
	if command -v chrt >/dev/null && chrt -i 0 true 2>/dev/null; then
		chrt -i 0 "$@"
	else
		nice -n 19 "$@"
	fi
}

LOG=$(mktemp /tmp/samvaer-test-builds.XXXXXX)
trap 'rm -f "$LOG"' EXIT
(idle make --no-print-directory build-asan ASAN_BUILD="$ASAN_BUILD" && idle scripts/fuzz.sh "$FUZZ_BUILD" build) \
	>"$LOG" 2>&1 &
BUILDS=$!

(cd "$BUILD" && ctest --output-on-failure -j "$JOBS")
normal=$?
if ! wait "$BUILDS"; then
	cat "$LOG" >&2
	echo "test: the ASan or the fuzz build failed (above)" >&2
	exit 1
fi
[ "$normal" -eq 0 ] || exit "$normal"
echo "test: the ASan+UBSan and fuzz builds were made beside the tests"

(cd "$ASAN_BUILD" && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest --output-on-failure -j "$JOBS") || exit
scripts/fuzz.sh "$FUZZ_BUILD" smoke
