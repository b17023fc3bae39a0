# Thin front door to the CMake build. `make` builds, `make test` runs every test,
# `make test-asan` runs them again under ASan+UBSan, `make lab` runs the lab.
BUILD      ?= build
ASAN_BUILD ?= build-asan
JOBS       ?= $(shell nproc)
BUILD_TYPE ?= RelWithDebInfo

.PHONY: all test test-asan test-stress lab lab-fast bench deps clean images kind-up kind-load deploy undeploy fuzz

# Configure every time (about a second): folders that appear later are picked up.
all:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) >/dev/null
	cmake --build $(BUILD) -j$(JOBS)

test: all
	cd $(BUILD) && ctest --output-on-failure --timeout 600 $(CTEST_ARGS)

test-asan:
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DSANITIZE=ON >/dev/null
	cmake --build $(ASAN_BUILD) -j$(JOBS)
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1 ctest --output-on-failure --timeout 900 -LE noasan $(CTEST_ARGS)

lab: all
	$(BUILD)/bin/lab run all

lab-fast: all
	$(BUILD)/bin/lab run all --fast

bench: all
	bash bench/run.sh

deps:
	bash scripts/deps.sh

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)

# Kubernetes (docs/kubernetes.md): build the images, start kind, load them, deploy a scenario.
images:
	bash scripts/kind.sh images

kind-up:
	bash scripts/kind.sh kind-up

kind-load:
	bash scripts/kind.sh kind-load

deploy:
	bash scripts/kind.sh deploy $(SCENARIO)

undeploy:
	bash scripts/kind.sh undeploy $(SCENARIO)

# The whole suite N times (default 10), odd runs with one core kept busy: every test that failed once.
test-stress: all
	bash scripts/stress.sh $(N)

# libFuzzer harnesses (tests/fuzz) in their own clang tree FUZZ_BUILD: regressions and seeds replayed,
# then every target (or FUZZ_TARGETS) for FUZZ_SECONDS each, one after the other. CI: FUZZ_SECONDS=30.
FUZZ_BUILD   ?= build-fuzz
FUZZ_SECONDS ?= 60
fuzz:
	FUZZ_BUILD=$(FUZZ_BUILD) FUZZ_SECONDS=$(FUZZ_SECONDS) bash scripts/fuzz.sh $(FUZZ_TARGETS)
