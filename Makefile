# glia: the two commands of the README, and helpers around CMake.
#   make demo     install missing Debian packages, build, run the main job
#   make test     install missing Debian packages, build, run every test
PREFIX ?= /usr/local
BUILD ?= build
JOBS ?= $(shell nproc)
DEMO_OUT ?= demo-out
KAGGLE ?= ../shared/data/kaggle-brain-mri

.PHONY: all deps build demo test sanitize clang install format format-check lint fuzz bench clean

all: build

deps:
	@sh scripts/install-deps.sh

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=$(PREFIX)

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

demo: build
	@if [ -d "$(KAGGLE)" ]; then \
	  echo "demo: exploring $(KAGGLE)"; data="$(KAGGLE)"; \
	else \
	  echo "demo: $(KAGGLE) is absent; exploring a synthetic set made by 'glia phantom'"; \
	  ./$(BUILD)/glia phantom -o $(BUILD)/phantoms --quiet || exit 1; data="$(BUILD)/phantoms"; \
	fi; \
	./$(BUILD)/glia explore "$$data" -o $(DEMO_OUT) && \
	echo "demo: results in $(DEMO_OUT)/ (explore.json, cdf.csv, panels and plots)"

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# Unit tests under AddressSanitizer + UndefinedBehaviorSanitizer.
sanitize: deps
	cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DGLIA_SANITIZE=ON -DGLIA_BUILD_BENCH=OFF
	cmake --build build-asan -j $(JOBS)
	cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp:print_suppressions=0 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest --output-on-failure -j $(JOBS)

# The same code must build warning-free with clang.
clang: deps
	cmake -S . -B build-clang -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Release -DGLIA_BUILD_BENCH=ON
	cmake --build build-clang -j $(JOBS)

install: build
	cmake --install $(BUILD) --prefix $(PREFIX)

FORMAT_FILES = $(shell git ls-files '*.c' '*.h')
format:
	clang-format -i $(FORMAT_FILES)
format-check:
	clang-format --dry-run -Werror $(FORMAT_FILES)

# Static analysis: cppcheck and clang-tidy (.clang-tidy); any finding fails.
lint: build
	cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability --std=c11 \
	  --inline-suppr -I include -I src -I $(BUILD)/include src/
	clang-tidy -p $(BUILD) --quiet --warnings-as-errors='*' $(shell git ls-files 'src/*.c')

# libFuzzer builds of the parsers (fuzz/fuzz_*.c), run for FUZZ_SECONDS each.
FUZZ_SECONDS ?= 60
fuzz: deps
	cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug -DGLIA_SANITIZE=ON \
	  -DGLIA_BUILD_TESTS=OFF -DGLIA_BUILD_BENCH=OFF -DGLIA_FUZZ=ON
	cmake --build build-fuzz -j $(JOBS)
	for t in build-fuzz/fuzz_*; do mkdir -p build-fuzz/corpus-$$(basename $$t); \
	  $$t -max_total_time=$(FUZZ_SECONDS) build-fuzz/corpus-$$(basename $$t) fuzz/corpus/$$(basename $$t) || exit 1; done

bench: build
	sh bench/run.sh

clean:
	rm -rf $(BUILD) build-asan build-clang build-fuzz
