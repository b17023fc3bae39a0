# Thin front door to the CMake build. `make` builds, `make test` runs every test,
# `make test-asan` runs them again under ASan+UBSan, `make lab` runs the lab.
BUILD      ?= build
ASAN_BUILD ?= build-asan
JOBS       ?= $(shell nproc)
BUILD_TYPE ?= RelWithDebInfo

.PHONY: all test test-asan lab lab-fast bench deps clean

all: $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j$(JOBS)

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE)

test: all
	cd $(BUILD) && ctest --output-on-failure --timeout 600 $(CTEST_ARGS)

$(ASAN_BUILD)/CMakeCache.txt:
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DSANITIZE=ON

test-asan: $(ASAN_BUILD)/CMakeCache.txt
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
