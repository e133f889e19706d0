# Makefile: thin wrapper. `make run` serves a demo family; `make test` installs, builds and runs every test.
BUILD      ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
JOBS       ?= $(shell nproc)
# Tests mostly wait (media, timers, window ends), so ctest runs two per CPU; a browser test counts as two.
TEST_JOBS  ?= $(shell echo $$(( $$(nproc) * 2 )))
DATA       ?= data
FUZZ_SECONDS ?= 30
SOAK_MINUTES ?= 30

PREFIX     ?= /usr

.PHONY: all deps build build-asan run test test-unit test-asan bench soak fuzz clean install

all: build

deps:
	@scripts/deps.sh

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

build-asan: deps
	@cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DSAMVAER_SANITIZE=ON -DSAMVAER_BROWSER_TESTS=OFF \
		-DCMAKE_C_COMPILER=clang >/dev/null
	@cmake --build $(ASAN_BUILD) -j $(JOBS)

run: build
	@scripts/run.sh $(BUILD) $(DATA)

# Every test: unit + integration + browser on the normal build, then unit + integration under ASan+UBSan,
# then a short smoke run of every fuzz target over its corpus.
test: build build-asan
	@cd $(BUILD) && ctest --output-on-failure -j $(TEST_JOBS)
	@cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		ctest --output-on-failure -j $(TEST_JOBS)
	@scripts/fuzz.sh $(FUZZ_BUILD) smoke

bench: build
	@scripts/bench.sh $(BUILD); msg=$$?; scripts/bench-media.sh $(BUILD); media=$$?; scripts/bench-uploads.sh $(BUILD); up=$$?; \
	scripts/bench-mix.sh $(BUILD); mix=$$?; exit $$((msg | media | up | mix))

fuzz: deps
	@scripts/fuzz.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)

# SOAK_MINUTES (30) of mixed load (messaging, logins, calls) sampling RSS, fds and latency; judges the trends and
# writes soak.csv, soak.svg and soak.md to docs/ (runs of 30 minutes or more) or BUILD/soak (see docs/PERFORMANCE.md).
soak: build
	@SOAK_MINUTES=$(SOAK_MINUTES) /usr/bin/python3 tests/bench/soak.py $(BUILD)

# Programs, web apps, docs, systemd units, the samvaer user and /etc/samvaer/samvaer.conf (docs/OPERATIONS.md).
# DESTDIR=/tmp/stage make install stages it; as root without DESTDIR it also creates the user and directories.
install: build
	@cmake -S . -B $(BUILD) -DCMAKE_INSTALL_PREFIX=$(PREFIX) >/dev/null
	@DESTDIR=$(DESTDIR) cmake --install $(BUILD)
	@if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" = 0 ] && command -v systemd-sysusers >/dev/null; then \
		systemd-sysusers samvaer.conf && systemd-tmpfiles --create samvaer.conf && \
		(systemctl daemon-reload 2>/dev/null || true); \
		echo "installed; next: put the TLS files in /etc/samvaer/tls, then systemctl enable --now samvaer"; fi

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
