#!/bin/sh
# fuzz.sh BUILD SECONDS|smoke: build every libFuzzer target with clang and run each over its corpus.
# "smoke" (used by make test) replays the seed corpus and fuzzes 10 s per target.
set -eu
cd "$(dirname "$0")/.."
BUILD=${1:-build-fuzz}
MODE=${2:-60}
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSAMVAER_FUZZ=ON -DSAMVAER_BROWSER_TESTS=OFF \
	-DCMAKE_C_COMPILER=clang >/dev/null
targets=$(ls tests/fuzz/fuzz_*.c tests/fuzz/media/fuzz_*.c 2>/dev/null | xargs -n1 basename | sed 's/\.c$//')
# shellcheck disable=SC2086
cmake --build "$BUILD" -j "$(nproc)" --target $targets
if [ "$MODE" = smoke ]; then SECS=10; else SECS=$MODE; fi
failed=0; passed=0
for t in $targets; do
	name=${t#fuzz_}
	seeds=tests/fuzz/corpus/$name
	[ -d "$seeds" ] || seeds=tests/fuzz/media/corpus/$name
	[ -d "$seeds" ] || seeds=""  # a target without seeds starts from nothing
	work=$(mktemp -d)
	echo "fuzz: $t for ${SECS}s (seeds: $seeds)"
	if "$BUILD/$t" -max_total_time="$SECS" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=0 "$work" ${seeds:+"$seeds"} >"$work.log" 2>&1; then
		passed=$((passed + 1))
		grep -E "^(#[0-9]+.*DONE|Done)" "$work.log" | tail -1 || true
	else
		failed=$((failed + 1))
		tail -40 "$work.log"
		echo "fuzz: $t FAILED (reproducer in $work)"
	fi
	rm -rf "$work.log"
	[ $failed -gt 0 ] || rm -rf "$work"
done
echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
