#!/usr/bin/env bash
# Installs Ferry's Debian package on this machine and checks it as a user would meet it: the
# files it holds, the desktop entry and the AppStream entry through their validators, the
# installed `ferry` transferring a file from a loopback server, the installed app's window and
# its start at login under Xvfb (end-to-end test files run against /usr/bin/ferry-desktop),
# then removes it (`apt-get purge`) and checks that nothing is left and nothing else appeared
# under /usr, /etc and /opt. A package a previous run left installed is removed first; the
# package is removed again on the way out, whatever failed.
#
# Usage: src-tauri/package/test.sh PACKAGE.deb   (as root: it installs and removes a package)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DEB=$(realpath "$1")
PACKAGE=ferry
export DEBIAN_FRONTEND=noninteractive
# apt-get waits for a dpkg lock another apt-get holds instead of failing at once.
APT=(apt-get -o DPkg::Lock::Timeout=300 -y -qq)

if [[ $(id -u) != 0 ]]; then
    echo "src-tauri/package/test.sh installs and removes a Debian package: run it as root" >&2
    exit 1
fi

WORK=$(mktemp -d)
server=
owner_data=
cleanup() {
    # Nothing may interrupt the removal of the package: no signal, no failing step.
    trap '' INT TERM
    set +e
    if [[ -n $server ]]; then
        kill "$server" 2>/dev/null
        wait "$server" 2>/dev/null
    fi
    # An owner the transfer started must not outlive the test (nor hold the binary).
    if [[ -n $owner_data && -x /usr/bin/ferry ]]; then
        FERRY_DATA_DIR=$owner_data XDG_RUNTIME_DIR="$WORK/run" /usr/bin/ferry stop \
            >/dev/null 2>&1 || true
    fi
    if dpkg -s "$PACKAGE" >/dev/null 2>&1; then
        "${APT[@]}" purge "$PACKAGE" >/dev/null ||
            echo "package test: could not purge $PACKAGE: remove it with apt-get purge $PACKAGE" >&2
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

fail() {
    echo "package test: $*" >&2
    exit 1
}

# The files under the folders a package may touch, one a line, sorted.
system_files() { find /usr /etc /opt -xdev 2>/dev/null | LC_ALL=C sort; }

if dpkg -s "$PACKAGE" >/dev/null 2>&1; then
    echo "Removing the $PACKAGE package a previous run left installed"
    "${APT[@]}" purge "$PACKAGE" >/dev/null
fi
system_files >"$WORK/before"

echo "Installing $DEB"
"${APT[@]}" install "$DEB" >"$WORK/apt.log" 2>&1 || { cat "$WORK/apt.log"; fail "apt-get install failed"; }
dpkg -L "$PACKAGE" | LC_ALL=C sort >"$WORK/listed"
while read -r path; do
    [[ -d $path ]] || echo "$path"
done <"$WORK/listed" >"$WORK/files"
echo "The package installed $(wc -l <"$WORK/files") files"

echo "Checking the files a user and a desktop need"
chromium_host=$(basename "$(grep -m1 '^/etc/chromium/native-messaging-hosts/.*\.json$' "$WORK/files")")
[[ -n $chromium_host ]] || fail "no Chromium native-messaging manifest"
expected=(
    /usr/bin/ferry /usr/bin/ferry-desktop /usr/bin/ferry-tray
    /usr/share/applications/Ferry.desktop
    /usr/share/metainfo/org.ferry.desktop.metainfo.xml
    /usr/lib/systemd/user/ferry.service
    /usr/share/man/man1/ferry.1.gz
    /usr/share/bash-completion/completions/ferry
    /usr/share/zsh/vendor-completions/_ferry
    /usr/share/fish/vendor_completions.d/ferry.fish
    "/etc/chromium/native-messaging-hosts/$chromium_host"
    "/etc/opt/chrome/native-messaging-hosts/$chromium_host"
)
for size in 16 24 32 48 64 128 256 512; do
    expected+=("/usr/share/icons/hicolor/${size}x${size}/apps/ferry-desktop.png")
done
for path in "${expected[@]}"; do
    grep -qxF "$path" "$WORK/files" || fail "the package lacks $path"
done
grep -q '^/usr/lib/mozilla/native-messaging-hosts/.*\.json$' "$WORK/files" ||
    fail "no Firefox native-messaging manifest"
for manifest in $(grep 'native-messaging-hosts/.*\.json$' "$WORK/files"); do
    grep -q '"path": *"/usr/bin/ferry"' "$manifest" || fail "$manifest does not start /usr/bin/ferry"
done
grep -q '^ExecStart=/usr/bin/ferry service$' /usr/lib/systemd/user/ferry.service ||
    fail "the systemd unit does not run the installed ferry"
if grep -q '^MimeType=' /usr/share/applications/Ferry.desktop; then
    fail "the desktop entry claims types Ferry does not open"
fi
zcat /usr/share/man/man1/ferry.1.gz >"$WORK/ferry.1"
grep -q '^\.TH ' "$WORK/ferry.1" || fail "the manual page is no roff page"
bash -c 'source /usr/share/bash-completion/completions/ferry' || fail "the bash completion does not load"

echo "desktop-file-validate /usr/share/applications/Ferry.desktop"
desktop-file-validate /usr/share/applications/Ferry.desktop
echo "appstreamcli validate --no-net /usr/share/metainfo/org.ferry.desktop.metainfo.xml"
appstreamcli validate --no-net /usr/share/metainfo/org.ferry.desktop.metainfo.xml

echo "The installed ferry: --version, then a transfer from a loopback server"
version=$(/usr/bin/ferry --version)
[[ $version == "ferry $(dpkg-query -W -f '${Version}' "$PACKAGE")" ]] ||
    fail "ferry --version says '$version'"
mkdir -p "$WORK/served" "$WORK/run" "$WORK/data" "$WORK/downloads"
chmod 700 "$WORK/run"
head -c 3000000 /dev/urandom >"$WORK/served/file.bin"
python3 -u -m http.server 0 --bind 127.0.0.1 --directory "$WORK/served" >"$WORK/server.log" 2>&1 &
server=$!
for _ in $(seq 100); do
    port=$(sed -n 's/.* port \([0-9]*\).*/\1/p' "$WORK/server.log" | head -1)
    [[ -n $port ]] && break
    sleep 0.1
done
[[ -n $port ]] || fail "the loopback server did not start"
owner_data="$WORK/data"
FERRY_DATA_DIR=$owner_data XDG_RUNTIME_DIR="$WORK/run" \
    /usr/bin/ferry transfer "http://127.0.0.1:$port/file.bin" "$WORK/downloads/file.bin"
cmp "$WORK/served/file.bin" "$WORK/downloads/file.bin" || fail "the transferred file differs"
FERRY_DATA_DIR=$owner_data XDG_RUNTIME_DIR="$WORK/run" /usr/bin/ferry stop
owner_data=

echo "The installed app under Xvfb: its window, and its start at login"
# In a session of its own, so that nothing the desktop session signals reaches this script.
FERRY_APP=/usr/bin/ferry-desktop FERRY_E2E_ARTIFACTS="$ROOT/tests/e2e/artifacts/package" \
    setsid --wait "$ROOT/tests/e2e/run.sh" "$ROOT/tests/e2e/tests/01-app-opens.test.mjs" \
    "$ROOT/tests/e2e/tests/21-start-at-login.test.mjs"

echo "Removing the package"
"${APT[@]}" purge "$PACKAGE" >/dev/null
while read -r path; do
    [[ ! -e $path && ! -L $path ]] || fail "$path is left after the package was purged"
done <"$WORK/files"
system_files >"$WORK/after"
if ! diff -u "$WORK/before" "$WORK/after" >"$WORK/changes"; then
    cat "$WORK/changes" >&2
    fail "installing and purging the package changed the files under /usr, /etc and /opt"
fi
echo "Package test passed: installed, used and removed without a trace"
