#!/usr/bin/env bash
# End-to-end tests: the real Ferry binary in a real desktop session, driven over WebDriver.
#
# Everything runs inside one private session bus (dbus-run-session): an Xvfb display, dunst
# (the notification server), trayer (an XEmbed system tray) and dbus-monitor recording every
# Notify call. Each test file then launches Ferry through its own tauri-driver. Everything
# started here is stopped on exit, whatever happens.
#
# Usage: tests/e2e/run.sh [test files...]   (default: every tests/e2e/tests/*.test.mjs)
set -euo pipefail

E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

if [[ -z "${FERRY_E2E_SESSION_BUS:-}" ]]; then
    exec env FERRY_E2E_SESSION_BUS=1 dbus-run-session -- "${BASH_SOURCE[0]}" "$@"
fi

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/ferry/target}"
# The app under test: FERRY_APP (or FERRY_E2E_APP), else the debug build.
export FERRY_APP="${FERRY_APP:-${FERRY_E2E_APP:-$CARGO_TARGET_DIR/debug/ferry-desktop}}"
export FERRY_E2E_ARTIFACTS="${FERRY_E2E_ARTIFACTS:-$E2E_DIR/artifacts}"
export FERRY_E2E_NOTIFY_LOG="$FERRY_E2E_ARTIFACTS/notify.log"
export PATH="$HOME/.cargo/bin:$PATH"
# The suite reads Ferry in English whatever the machine's locale (23-portuguese.test.mjs
# switches to Brazilian Portuguese in Settings).
export LANG=C.UTF-8
unset LC_ALL LC_MESSAGES LANGUAGE
# No accessibility bus in this session; keep GTK from looking for one.
export NO_AT_BRIDGE=1
export GDK_BACKEND=x11

rm -rf "$FERRY_E2E_ARTIFACTS"
mkdir -p "$FERRY_E2E_ARTIFACTS"
RUNTIME_DIR=$(mktemp -d)
export XDG_RUNTIME_DIR="$RUNTIME_DIR"

started=()
cleanup() {
    local pid
    for ((i = ${#started[@]} - 1; i >= 0; i--)); do
        pid=${started[i]}
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    # The document portal, started on demand by the bus, mounts itself in the runtime folder.
    fusermount -u -z "$RUNTIME_DIR/doc" 2>/dev/null || true
    rm -rf "$RUNTIME_DIR"
}
trap cleanup EXIT INT TERM

# wait_for WHAT COMMAND...: waits up to 15 s for COMMAND to succeed.
wait_for() {
    local what=$1
    shift
    for _ in $(seq 150); do
        if "$@" >/dev/null 2>&1; then return 0; fi
        sleep 0.1
    done
    echo "run.sh: $what did not come up" >&2
    return 1
}

echo "Starting Xvfb, dunst, trayer and dbus-monitor"
Xvfb -displayfd 3 -nolisten tcp -screen 0 1280x800x24 3>"$RUNTIME_DIR/display" \
    2>"$FERRY_E2E_ARTIFACTS/xvfb.log" &
started+=($!)
wait_for "Xvfb" test -s "$RUNTIME_DIR/display"
export DISPLAY=":$(cat "$RUNTIME_DIR/display")"
wait_for "the display $DISPLAY" xwininfo -root
# Services the bus starts on demand (the desktop portal, the accessibility bus) join this display.
dbus-update-activation-environment DISPLAY XDG_RUNTIME_DIR NO_AT_BRIDGE GDK_BACKEND

dbus-monitor --session "interface='org.freedesktop.Notifications',member='Notify'" \
    >"$FERRY_E2E_NOTIFY_LOG" 2>"$FERRY_E2E_ARTIFACTS/dbus-monitor.log" &
started+=($!)
wait_for "dbus-monitor" test -s "$FERRY_E2E_NOTIFY_LOG"

dunst >"$FERRY_E2E_ARTIFACTS/dunst.log" 2>&1 &
started+=($!)
# Asks the bus who owns the name rather than calling it, which would make the bus start
# another notification server outside this display.
notifications_owned() {
    dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
        org.freedesktop.DBus.NameHasOwner string:org.freedesktop.Notifications | grep -q true
}
wait_for "dunst" notifications_owned

trayer --edge top --align right --widthtype pixel --width 120 --height 32 \
    >"$FERRY_E2E_ARTIFACTS/trayer.log" 2>&1 &
started+=($!)
wait_for "trayer" xdotool search --name '^panel$'

echo "Desktop session ready on $DISPLAY; app: $FERRY_APP"
if [[ $# -eq 0 ]]; then
    set -- "$E2E_DIR"/tests/*.test.mjs
fi
# One file at a time: they share the display, the tray and the notification log.
node --test --test-concurrency=1 --test-reporter=spec "$@"
