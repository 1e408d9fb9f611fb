# The two commands of the README: `make serve` and `make test`.
SWIFT ?= $(shell command -v swift 2>/dev/null || echo /opt/swift/usr/bin/swift)
export PATH := /opt/swift/usr/bin:$(PATH)

.PHONY: setup functions build serve test bench clean

setup:
	@bash scripts/setup.sh

functions: setup
	@bash functions/build.sh

# One optimised build serves all three: what `make serve` runs is what the tests check and the
# benchmarks measure (guests run in WasmKit's interpreter, which is tens of times slower unoptimised).
# -enable-testing lets the test targets' @testable imports link against it.
RELEASE = -c release -Xswiftc -enable-testing

build: functions
	$(SWIFT) build $(RELEASE)

# Runs the gateway on 127.0.0.1:8080 with the bundled examples deployed.
serve: build
	$(SWIFT) run $(RELEASE) faas serve --examples

# Runs every test: unit, integration and end to end (all written with swift-testing, so XCTest is off).
test: functions
	$(SWIFT) build $(RELEASE) --build-tests
	$(SWIFT) test $(RELEASE) --skip-build --disable-xctest

bench: functions
	$(SWIFT) run $(RELEASE) faas-bench all

clean:
	rm -rf .build functions/build
