# Ferry's build and test entry points. `make run` starts the app, `make test` runs every check
# CI runs. Both install what is missing first (`make deps`), so a fresh Debian 12 machine needs
# only a Rust toolchain, Node.js 20+ and this Makefile.

# One warm target directory shared by every checkout of the project.
CARGO_TARGET_DIR ?= $(HOME)/.cache/ferry/target
export CARGO_TARGET_DIR
# `cargo install` puts tauri-driver here.
export PATH := $(HOME)/.cargo/bin:$(PATH)

# Debian packages: the webview and tray libraries to build against, and the real peers the
# tests drive (a display, a notification server, a system tray, nginx, lighttpd and apache2 as
# third-party web servers, curl, aria2, libfaketime to move one process's wall clock, iproute2
# and Python for a network that comes and goes in a private namespace; Chromium and its driver
# for the browser hand-off, xclip to copy a link as a person would; the validators of the
# package's desktop and AppStream entries; python3-dbus and python3-gi for a StatusNotifierItem
# host that clicks the tray icon as KDE's or GNOME's tray does). The tests start the web servers themselves on free
# loopback ports; a system service the packages may start on port 80 is never used.
APT_PACKAGES := libwebkit2gtk-4.1-dev libayatana-appindicator3-dev librsvg2-dev libxdo-dev \
	libssl-dev build-essential file pkg-config xvfb webkit2gtk-driver dunst trayer xdotool \
	x11-xserver-utils imagemagick dbus-x11 nginx-light lighttpd apache2 aria2 curl time libnotify-bin faketime iproute2 python3 \
	chromium chromium-driver xclip desktop-file-utils appstream python3-dbus python3-gi libglib2.0-bin

BINDINGS_DIR := ui/src/lib/bindings

# Where `make package` puts the .deb.
PACKAGE_DIR := $(CARGO_TARGET_DIR)/deb
# Where the source is published: the AppStream entry's homepage and screenshots.
FERRY_SOURCE_URL ?= $(or $(shell git remote get-url origin 2>/dev/null | \
	sed -e 's|^git@github.com:|https://github.com/|' -e 's|\.git$$||' | grep '^https://'), \
	https://github.com/ferry-transfers/ferry)
export FERRY_SOURCE_URL
# The shell crate exports its own TypeScript types once it declares a `ts` feature.
SHELL_HAS_TS := $(shell grep -qs '^ts *=' src-tauri/Cargo.toml && echo yes)

# Steps run strictly one after another, and the first failure stops the run.
.NOTPARALLEL:

# Prints a step header.
header = @printf '\n==> %s\n' '$(1)'

.PHONY: run test bench deps deps-apt deps-toolchain deps-ui deps-tauri-driver bindings \
	bindings-check fmt-check clippy rust-test ui-check ui-test ui-build app-build e2e e2e-browser \
	e2e-memory screenshots fuzz soak package package-test deb-programs

## Build the UI and start the app (it starts the owner of the queue, `ferry service`).
run: deps ui-build
	cargo build -p ferry-cli -p ferry-desktop -p ferry-tray
	$(CARGO_TARGET_DIR)/debug/ferry-desktop

## Every check CI runs, in order, stopping at the first failure. The UI is built first: the
## shell crate embeds ui/dist, so clippy and the Rust tests need it.
test: deps ui-build fmt-check clippy bindings-check rust-test ui-check ui-test app-build e2e \
	package-test e2e-memory
	$(call header,All checks passed)

## The Debian package, $(PACKAGE_DIR)/ferry_<version>_<arch>.deb: the three programs built in one
## cargo run with the `deb` profile (optimised, no debug info, stripped), then bundled by
## Tauri's bundler with what is generated from them (src-tauri/package/build.sh).
package: deb-programs
	$(call header,Debian package (tauri bundle))
	src-tauri/package/build.sh $(PACKAGE_DIR)

## The three programs the package ships, built in one cargo run with the `deb` profile
## (optimised, no debug info, stripped), with ui/dist embedded in the window.
deb-programs: deps ui-build
	$(call header,The packaged programs (cargo build --profile deb))
	cargo build --profile deb -p ferry-desktop -p ferry-cli -p ferry-tray \
		--features ferry-desktop/custom-protocol

## Installs the package, checks and uses what it installed, and purges it (as root).
package-test: package
	$(call header,Debian package installed and used then purged (src-tauri/package/test.sh))
	src-tauri/package/test.sh $(PACKAGE_DIR)/ferry_*.deb

## Throughput, CPU and memory of Ferry (`ferry transfer` and its owner) against curl and aria2c,
## a queue of 10,000 jobs and the window with them, on the packaged programs (writes
## tests/bench/results.md).
bench: deb-programs
	tests/bench/bench.py --ferry $(CARGO_TARGET_DIR)/deb/ferry

## The engine's property tests of every parser that reads the network or a file, with
## FUZZ_CASES cases each instead of proptest's 256 (a nightly toolchain for cargo-fuzz is not
## needed). A failure prints the smallest input found and saves its seed under
## src-tauri/engine/proptest-regressions/.
FUZZ_CASES ?= 100000
fuzz:
	$(call header,Property tests with $(FUZZ_CASES) cases each)
	PROPTEST_CASES=$(FUZZ_CASES) cargo test -p ferry-engine --lib properties

## Jobs against a server that misbehaves at random on every request, for FERRY_SOAK_SECS
## seconds (default 120). The seed is printed first; FERRY_SOAK_SEED=<seed> replays a run.
FERRY_SOAK_SECS ?= 120
export FERRY_SOAK_SECS
soak:
	$(call header,Soak against a hostile server for $(FERRY_SOAK_SECS) s)
	cargo test -p ferry-engine --test engine soak -- --ignored --nocapture

## Install whatever is missing; a warm run only looks.
deps: deps-apt deps-toolchain deps-ui deps-tauri-driver

deps-apt:
	@missing=$$(for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || printf '%s ' $$p; done); \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" != 0 ]; then \
		echo "Missing Debian packages. Install them with:"; \
		echo "  sudo apt-get update && sudo apt-get install -y $$missing"; \
		exit 1; \
	fi; \
	echo "Installing Debian packages: $$missing"; \
	export DEBIAN_FRONTEND=noninteractive; \
	apt-get update && apt-get install -y $$missing

deps-toolchain:
	@command -v cargo >/dev/null || \
		{ echo "cargo not found: install a Rust toolchain (rustup.rs)"; exit 1; }
	@command -v node >/dev/null && command -v npm >/dev/null || \
		{ echo "node/npm not found: install Node.js 20 or newer"; exit 1; }
	@node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' || \
		{ echo "Node.js 20 or newer is required (found $$(node --version))"; exit 1; }

deps-ui: $(if $(wildcard ui/package-lock.json),ui/node_modules/.package-lock.json)

# npm rewrites node_modules/.package-lock.json on every install, so it is the stamp.
ui/node_modules/.package-lock.json: ui/package-lock.json
	cd ui && npm ci --no-audit --no-fund
	touch $@

deps-tauri-driver:
	@command -v tauri-driver >/dev/null || cargo install tauri-driver --version '^2' --locked

## Regenerate the TypeScript bindings from the Rust types (the folder holds nothing else).
bindings:
	@fresh=$$(mktemp -d) && trap 'rm -rf "$$fresh"' EXIT && \
	TS_RS_EXPORT_DIR=$$fresh cargo test -q -p ferry-engine --features ts export_bindings && \
	TS_RS_EXPORT_DIR=$$fresh cargo test -q -p ferry-owner --features ts export_bindings && \
	$(if $(SHELL_HAS_TS),TS_RS_EXPORT_DIR=$$fresh \
		cargo test -q -p ferry-desktop --features ts export_bindings &&) \
	mkdir -p $(BINDINGS_DIR) && \
	find $(BINDINGS_DIR) -mindepth 1 -delete && \
	cp -R "$$fresh"/. $(BINDINGS_DIR)/

bindings-check:
	$(call header,TypeScript bindings match the Rust types)
	@$(MAKE) --no-print-directory bindings
	@git diff --exit-code --stat -- $(BINDINGS_DIR) || \
		{ echo "$(BINDINGS_DIR) is out of date: run 'make bindings' and commit the result"; exit 1; }
	@untracked=$$(git ls-files --others --exclude-standard -- $(BINDINGS_DIR)); \
	if [ -n "$$untracked" ]; then \
		echo "New generated bindings are not committed: run 'make bindings' and commit:"; \
		echo "$$untracked"; exit 1; \
	fi

fmt-check:
	$(call header,Formatting (cargo fmt --check))
	cargo fmt --all --check

clippy:
	$(call header,Lints (cargo clippy))
	cargo clippy --workspace --all-targets -- -D warnings

rust-test:
	$(call header,Rust tests (engine unit and integration, shell smoke test))
	cargo test --workspace

ui-check:
	$(call header,UI type check (svelte-check))
	cd ui && npm run check

ui-test:
	$(call header,UI unit tests (vitest))
	cd ui && npm test

ui-build:
	$(call header,UI build)
	cd ui && npm run build

app-build:
	$(call header,App build (cargo build -p ferry-desktop -p ferry-cli -p ferry-tray))
	cargo build -p ferry-desktop -p ferry-cli -p ferry-tray

e2e:
	$(call header,End-to-end tests (real app under Xvfb over WebDriver))
	tests/e2e/run.sh

## Ferry's memory, idle and with 100 jobs, window open and tray only, against the issue's limits:
## measured on the optimised programs the package ships (the `deb` profile, built by `make
## package`), as people run them.
DEB_APP := $(CARGO_TARGET_DIR)/deb/ferry-desktop
e2e-memory: package
	$(call header,Memory of the packaged build (tests/e2e/memory))
	FERRY_APP=$(DEB_APP) tests/e2e/run.sh tests/e2e/memory/*.test.mjs

## Only the browser hand-off (Chromium with the extension) and the clipboard offer (xclip);
## `make e2e`, and so `make test`, runs them with the others.
e2e-browser:
	$(call header,End-to-end tests of the browser hand-off and the clipboard offer)
	tests/e2e/run.sh tests/e2e/tests/19-browser.test.mjs tests/e2e/tests/20-clipboard.test.mjs

# The end-to-end tests again, refreshing the README's screenshots and memory figures in
# tests/e2e/screenshots (an ordinary run leaves them in tests/e2e/artifacts).
screenshots: ui-build app-build package
	FERRY_E2E_SCREENSHOTS=$(CURDIR)/tests/e2e/screenshots tests/e2e/run.sh
	FERRY_E2E_SCREENSHOTS=$(CURDIR)/tests/e2e/screenshots FERRY_APP=$(DEB_APP) \
		tests/e2e/run.sh tests/e2e/memory/*.test.mjs
