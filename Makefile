# The two front-door commands (README.md): `make demo` and `make test`.
SHELL := /bin/bash
SWIFT ?= swift
# Debian packages the build and the tests need; installed only when one is missing.
DEB_PACKAGES := libcurl4-openssl-dev libsodium-dev libmnl-dev pkg-config iproute2 iptables \
                wireguard-go wireguard-tools containernetworking-plugins iputils-ping
# Python modules the tests need, as module:package (cel-python evaluates the CRDs' CEL rules); the tests that
# need one skip with a message when pip cannot install it.
PY_MODULES := celpy:cel-python

.PHONY: all deps build test bench cni-bundle demo clean

all: build

deps:
	@missing=$$(for p in $(DEB_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing:" $$missing; \
	  if [ "$$(id -u)" != 0 ]; then echo "need root to install Debian packages: $$missing" >&2; exit 1; fi; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi
	@missing=$$(for m in $(PY_MODULES); do python3 -c "import $${m%%:*}" 2>/dev/null || echo $${m#*:}; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing (pip):" $$missing; \
	  python3 -m pip install --quiet $$missing || echo "warning: pip could not install $$missing" >&2; \
	fi

build: deps
	$(SWIFT) build

test: build
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

bench: deps
	$(SWIFT) run -c release egressgw-bench wireguard-peers --count 10000

# The whole system in network namespaces on this machine (root): brings the Sandbox up, applies docs/samples, has each
# pod fetch the echo server and ends with one `DEMO-RESULT {...}` line; then removes everything unless KEEP=1.
demo: build
	@if [ "$$(id -u)" != 0 ]; then echo "make demo needs root (network namespaces, mounts, iptables)" >&2; exit 1; fi
	@bin=$$($(SWIFT) build --show-bin-path); \
	$$bin/egressgw-sandbox up || { echo "the sandbox did not come up; remove what is left with: $$bin/egressgw-sandbox down" >&2; exit 1; }; \
	$$bin/egressgw-sandbox demo; status=$$?; \
	if [ "$(KEEP)" = 1 ]; then echo "KEEP=1: the sandbox stays up (egressgw-sandbox status); remove it with: $$bin/egressgw-sandbox down"; \
	else $$bin/egressgw-sandbox down || status=1; fi; \
	exit $$status

# The self-contained CNI plugin bundle the cni-manager installs (egressgw + lib/), from a release build. The Swift
# runtime and Foundation are linked in, as in the Containerfile: a runtime starts the plugin for every pod, and the
# loader then has a fraction of the relocations to process (docs/benchmarks.md, CNI plugin).
cni-bundle: deps
	$(SWIFT) build -c release --static-swift-stdlib --product egressgw
	scripts/cni-bundle.sh .build/release/egressgw .build/cni-bundle

clean:
	rm -rf .build
