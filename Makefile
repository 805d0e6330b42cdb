# The front door: `make demo` and `make test` (see README.md).
BUILD      ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 60
JOBS       ?= $(shell nproc)
PB         := $(BUILD)/patternbench

.PHONY: all deps deps-test build build-asan build-fuzz test test-fast test-asan test-fuzz fuzz demo bench \
	docs-check clean format

all: build

deps:
	@./scripts/install-deps.sh

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DPB_WERROR=ON

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

$(ASAN_BUILD)/CMakeCache.txt:
	cmake -S . -B $(ASAN_BUILD) -DPB_WERROR=ON -DCMAKE_BUILD_TYPE=Debug -DPB_SANITIZE=address,undefined

build-asan: deps $(ASAN_BUILD)/CMakeCache.txt
	cmake --build $(ASAN_BUILD) -j $(JOBS)

deps-test:
	@./scripts/install-deps.sh --test

# The libFuzzer targets of tests/fuzz: clang, every library instrumented.
build-fuzz: deps deps-test
	@test -f $(FUZZ_BUILD)/CMakeCache.txt || \
		cmake -S . -B $(FUZZ_BUILD) -DCMAKE_C_COMPILER=clang -DPB_FUZZ=ON
	cmake --build $(FUZZ_BUILD) --target fuzz_targets -j $(JOBS)

# Each fuzz target for FUZZ_SECONDS (FUZZ_TARGETS="latency units" picks some).
fuzz: build-fuzz
	./tests/fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS) $(FUZZ_TARGETS)

# The whole suite, each fuzz target once over its seed corpus, then the suite
# again under AddressSanitizer + UBSan.
test: test-fast test-fuzz test-asan

test-fast: build
	@./scripts/install-deps.sh --test
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

test-asan: build-asan
	@./scripts/install-deps.sh --test
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
		ctest --output-on-failure -j $(JOBS)

# A regression pass, not a fuzzing run: a few seconds (see tests/fuzz/README.md).
test-fuzz: deps-test
	@if command -v clang >/dev/null 2>&1; then \
		$(MAKE) --no-print-directory build-fuzz && \
		cd $(FUZZ_BUILD) && ctest --output-on-failure -L fuzz -j $(JOBS); \
	else \
		echo "test-fuzz: clang not found, the fuzz corpora are not replayed"; \
	fi

# Every pattern through the demo scenario's outage and latency spike, 3 trials each
# (about 100 s), then the comparison's report, which opens with the scoreboard; the
# last line printed is the page to open.
demo: build
	$(PB) compare scenarios/demo.json --db demo.db --report report

# Every shell command of docs/soak.md, in order, with its durations scaled down
# (72 h become 12 s) on free loopback ports; ctest runs it too (check_soak_doc).
docs-check: build
	python3 tests/docs/check_doc_commands.py $(PB) docs/soak.md

bench: build
	./scripts/install-deps.sh --bench
	./bench/mock_vs_nginx.sh
	./bench/mock_delay.sh
	./bench/harness_vs_wrk.sh
	./bench/soak_memory.sh
	$(BUILD)/bench/bench_recorder 1000000 $$(mktemp -d) 3
	./bench/report_scale.sh $(PB)

format:
	find common patterns mockserver harness reports tests bench -name '*.[ch]' | xargs clang-format -i

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
