# megflow - build, test and lint.
#
#   make demo    deps + build, simulate a study in $(DEMO_DIR), run the whole
#                pipeline on it (configs/demo.yaml) and check the result
#                against the simulation's ground truth
#   make deps    install the system libraries (libhdf5-dev, pkg-config; optional
#                OpenBLAS/LAPACKE) with apt-get, as root, only when missing
#   make build   build ./bin/megflow (version from git describe)
#   make test    go vet, a short fuzz run of the FIF parser, then go test ./...
#   make fmt     gofmt -w on all Go files
#   make lint    gofmt -l, go vet, staticcheck (when installed)
#   make bench   run the Go benchmarks
#
# Variables: GO, VERSION, FUZZ (package:target pairs, empty to skip),
# FUZZTIME, TESTFLAGS, BENCH, BENCHTIME, DEMO_DIR.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := build

GO        ?= go
PKG       := github.com/megflow/megflow
# Version from git describe: a tag "v1.2.3" gives 1.2.3 (plus -N-gHASH past
# it); no tag gives 0.1.0-dev+HASH; no git or no commit gives 0.1.0-dev.
# "make VERSION=x build" overrides.
GIT_DESC  := $(shell git describe --tags --always --dirty 2>/dev/null)
ifeq ($(GIT_DESC),)
VERSION   := 0.1.0-dev
else ifneq ($(filter v%,$(GIT_DESC)),)
VERSION   := $(patsubst v%,%,$(GIT_DESC))
else
VERSION   := 0.1.0-dev+$(GIT_DESC)
endif
LDFLAGS   := -X $(PKG)/internal/version.Version=$(VERSION)
FUZZ      ?= ./fif/tree:FuzzOpen ./fif:FuzzReadInfo
FUZZTIME  ?= 300000x
TESTFLAGS ?=
BENCH     ?= .
BENCHTIME ?= 1s
DEMO_DIR  ?= /tmp/megflow-demo

# The OpenBLAS backend (internal/backend) is used when its libraries are
# installed (make deps installs them); GOTAGS= forces the pure-Go build.
HAVE_OPENBLAS := $(shell ldconfig -p 2>/dev/null | grep -c -e 'libopenblas\.so ' -e 'liblapacke\.so ' | grep -qx '[2-9]' && echo yes)
GOTAGS    ?= $(if $(HAVE_OPENBLAS),openblas,)

REQUIRED_DEBS := libhdf5-dev pkg-config
OPTIONAL_DEBS := libopenblas-dev liblapacke-dev

.PHONY: all demo deps deps-required build test fuzz fmt lint bench clean help

all: build test

help:
	@sed -n '2,16p' $(firstword $(MAKEFILE_LIST)) | sed 's/^# \{0,1\}//'

# debs_missing prints those of the given Debian packages that are not
# installed (nothing on systems without dpkg).
define debs_missing
for p in $(1); do \
	if command -v dpkg-query >/dev/null 2>&1; then \
		dpkg-query -W -f='$${Status}' "$$p" 2>/dev/null | grep -q 'install ok installed' || echo "$$p"; \
	fi; \
done
endef

# apt_install installs packages with apt-get, after an apt-get update
# unless one ran in the last hour (marker file in /tmp).
# $(1): packages; $(2): "required" (fail when impossible) or "optional".
define apt_install
missing="$$($(call debs_missing,$(1)) | tr '\n' ' ')"; \
if [ -z "$${missing// /}" ]; then \
	exit 0; \
fi; \
if [ "$$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then \
	echo "make deps: missing $(2) packages: $$missing"; \
	echo "make deps: install them as root: apt-get update && apt-get install -y $$missing"; \
	[ "$(2)" = optional ] && exit 0 || exit 1; \
fi; \
echo "make deps: installing $(2) packages: $$missing"; \
if [ -z "$$(find /tmp/.megflow-apt-updated -mmin -60 2>/dev/null)" ]; then \
	echo "make deps: apt-get update"; \
	DEBIAN_FRONTEND=noninteractive apt-get update -qq && touch /tmp/.megflow-apt-updated || true; \
fi; \
echo "make deps: apt-get install -y $$missing"; \
if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; then \
	echo "make deps: could not install $$missing"; \
	[ "$(2)" = optional ] && exit 0 || exit 1; \
fi
endef

# The libraries cgo needs to build (internal/h5 links libhdf5). A no-op
# when they are present; build and test depend on it.
deps-required:
	@$(call apt_install,$(REQUIRED_DEBS),required)

# Everything, including the optional BLAS/LAPACK backend.
deps: deps-required
	@$(call apt_install,$(OPTIONAL_DEBS),optional)
	@echo "make deps: done"

build: deps-required
	$(GO) build -tags "$(GOTAGS)" -ldflags "$(LDFLAGS)" -o bin/megflow ./cmd/megflow
	@echo "built bin/megflow $(VERSION) ($$(bin/megflow --version | sed 's/.*BLAS: //; s/)$$//'))"

# The demo on a fresh machine: a simulated study (BIDS, FreeSurfer-format
# anatomy, two raw runs, ground truth), the whole pipeline on it, then the
# check of megflow demo (which reuses the study and the cached outputs and
# prints where the RDMs and the report are).
demo: deps build
	rm -rf $(DEMO_DIR)
	bin/megflow simulate $(DEMO_DIR)
	bin/megflow run --config configs/demo.yaml --set bids_root=$(DEMO_DIR)
	bin/megflow demo $(DEMO_DIR)

# go test's own summary comes last, so that its closing lines are the last
# lines of the output.
test: deps-required
	$(GO) vet ./...
	@$(MAKE) --no-print-directory fuzz
	@# The packages with assembly kernels (AVX2 GEMM, AVX FFT butterflies)
	@# are also tested with their pure-Go fallbacks.
	$(GO) test -tags purego $(TESTFLAGS) ./internal/dsp ./preprocess/maxwell ./rsa
	@# Both BLAS backends pass the tests of the linear-algebra packages: the
	@# pure-Go one here, the build's (OpenBLAS when installed) in ./... below.
	$(if $(HAVE_OPENBLAS),$(GO) test -timeout 30m $(TESTFLAGS) ./internal/backend ./forward ./inverse,@echo "OpenBLAS not installed: pure-Go BLAS only (make deps installs it)")
	$(GO) test -tags "$(GOTAGS)" -timeout 30m $(TESTFLAGS) ./...

# A short run of each fuzz target in FUZZ that exists (others are skipped
# with a message, so a missing target does not fail the build).
fuzz:
	@for ft in $(FUZZ); do \
		pkg="$${ft%%:*}"; target="$${ft##*:}"; \
		list="$$($(GO) test -list "^$$target\$$" "$$pkg" 2>/dev/null || true)"; \
		if grep -qx "$$target" <<<"$$list"; then \
			echo "$(GO) test $$pkg -run '^\$$' -fuzz '^$$target\$$' -fuzztime $(FUZZTIME)"; \
			$(GO) test "$$pkg" -run '^$$' -fuzz "^$$target\$$" -fuzztime $(FUZZTIME); \
		else \
			echo "make fuzz: no fuzz target $$target in $$pkg; skipped"; \
		fi; \
	done

fmt:
	gofmt -w $$(git ls-files -co --exclude-standard '*.go' 2>/dev/null || find . -name '*.go' -not -path './.git/*')

lint:
	@out="$$(gofmt -l $$(git ls-files -co --exclude-standard '*.go' 2>/dev/null || find . -name '*.go' -not -path './.git/*'))"; \
	if [ -n "$$out" ]; then echo "gofmt: these files need formatting (make fmt):"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	@sc="$$(command -v staticcheck || true)"; \
	[ -n "$$sc" ] || { gp="$$($(GO) env GOPATH)"; [ -x "$${gp%%:*}/bin/staticcheck" ] && sc="$${gp%%:*}/bin/staticcheck"; } || true; \
	if [ -n "$$sc" ]; then \
		echo "staticcheck ./..."; "$$sc" ./...; \
	else \
		echo "make lint: staticcheck not installed; skipped (go install honnef.co/go/tools/cmd/staticcheck@latest)"; \
	fi

bench: deps-required
	$(GO) test -run '^$$' -bench '$(BENCH)' -benchtime $(BENCHTIME) -benchmem ./...

clean:
	rm -rf bin
