# The two commands of the README: `make serve` and `make test`.
SWIFT ?= $(shell command -v swift 2>/dev/null || echo /opt/swift/usr/bin/swift)
export PATH := /opt/swift/usr/bin:$(PATH)

.PHONY: setup functions build serve test bench clean

setup:
	@bash scripts/setup.sh

functions: setup
	@bash functions/build.sh

build: functions
	$(SWIFT) build

# Runs the gateway on 127.0.0.1:8080 with the bundled examples deployed.
serve: build
	$(SWIFT) run faas serve --examples

# Runs every test: unit, integration and end to end (all written with swift-testing, so XCTest is off).
test: functions
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build --disable-xctest

bench: functions
	$(SWIFT) run -c release faas-bench all

clean:
	rm -rf .build functions/build
