# The front door: `make demo` and `make test` (see README.md).
BUILD      ?= build
ASAN_BUILD ?= build-asan
JOBS       ?= $(shell nproc)
PB         := $(BUILD)/patternbench

.PHONY: all deps build build-asan test test-fast test-asan demo bench clean format

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

# The whole suite, then again under AddressSanitizer + UBSan.
test: test-fast test-asan

test-fast: build
	@./scripts/install-deps.sh --test
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

test-asan: build-asan
	@./scripts/install-deps.sh --test
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
		ctest --output-on-failure -j $(JOBS)

# Every pattern through the demo scenario's outage and latency spike (about 80 s),
# then the comparison's report; the last line printed is the page to open.
demo: build
	$(PB) compare scenarios/demo.json --db demo.db --report report

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
	rm -rf $(BUILD) $(ASAN_BUILD)
