#!/bin/sh
# fuzz.sh BUILD SECONDS|smoke: build every libFuzzer target with clang and run each over its corpus.
# "smoke" (used by make test) replays the seed corpus and fuzzes 10 s per target, one target per CPU at a time.
set -eu
cd "$(dirname "$0")/.."
BUILD=${1:-build-fuzz}
MODE=${2:-60}
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSAMVAER_FUZZ=ON -DSAMVAER_BROWSER_TESTS=OFF \
	-DCMAKE_C_COMPILER=clang >/dev/null
targets=$(for f in tests/fuzz/fuzz_*.c tests/fuzz/media/fuzz_*.c; do [ ! -e "$f" ] || basename "$f" .c; done)
# shellcheck disable=SC2086
cmake --build "$BUILD" -j "$(nproc)" --target $targets
if [ "$MODE" = smoke ]; then SECS=10; else SECS=$MODE; fi
# fuzz_one TARGET OUT: runs one target over its seeds; OUT.ok or OUT.failed says how it ended, OUT.log what it printed.
fuzz_one() {
	t=$1 out=$2
	name=${t#fuzz_}
	seeds=tests/fuzz/corpus/$name
	[ -d "$seeds" ] || seeds=tests/fuzz/media/corpus/$name
	[ -d "$seeds" ] || seeds="" # a target without seeds starts from nothing
	mkdir -p "$out.work"
	if "$BUILD/$t" -max_total_time="$SECS" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=0 -artifact_prefix="$out.work/" "$out.work" ${seeds:+"$seeds"} >"$out.log" 2>&1; then
		touch "$out.ok"
	else
		touch "$out.failed"
	fi
}
# The targets run one per CPU at a time (each is one process on one core), then report in order.
RUNS=$(mktemp -d)
JOBS=$(nproc)
running=0
for t in $targets; do
	echo "fuzz: $t for ${SECS}s"
	fuzz_one "$t" "$RUNS/$t" &
	running=$((running + 1))
	if [ "$running" -ge "$JOBS" ]; then
		wait
		running=0
	fi
done
wait
failed=0; passed=0
for t in $targets; do
	if [ -e "$RUNS/$t.ok" ]; then
		passed=$((passed + 1))
		printf '%s: ' "$t"
		grep -E "^(#[0-9]+.*DONE|Done)" "$RUNS/$t.log" | tail -1 || echo
	else
		failed=$((failed + 1))
		tail -40 "$RUNS/$t.log"
		echo "fuzz: $t FAILED (reproducer in $RUNS/$t.work)"
	fi
done
[ $failed -gt 0 ] || rm -rf "$RUNS"
echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
