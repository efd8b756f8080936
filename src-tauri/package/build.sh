#!/usr/bin/env bash
# Makes Ferry's Debian package from the three programs `make package` built with the `deb`
# cargo profile: stages them with the files generated from them (the manual page, the shell
# completions, the browsers' native-messaging manifests), the icons in the hicolor sizes, the
# AppStream entry and the owner's systemd user unit, then lets Tauri's bundler (`tauri bundle`,
# from ui/node_modules) write the .deb with the desktop entry.
#
# Usage: src-tauri/package/build.sh OUTPUT_FOLDER
# Environment: CARGO_TARGET_DIR (the programs are in $CARGO_TARGET_DIR/deb), FERRY_SOURCE_URL
# (where the source is published: the AppStream homepage and screenshots).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
OUTPUT=$(mkdir -p "$1" && cd "$1" && pwd)
: "${CARGO_TARGET_DIR:?CARGO_TARGET_DIR must name the cargo target folder}"
: "${FERRY_SOURCE_URL:?FERRY_SOURCE_URL must name where the source is published}"
BUILT="$CARGO_TARGET_DIR/deb"
STAGE="$CARGO_TARGET_DIR/deb-stage"
FILES="$STAGE/files"
FERRY="$BUILT/ferry"

rm -rf "$STAGE"
mkdir -p "$STAGE/release" "$FILES/icons" "$FILES/completions"

# `tauri bundle` takes the app from <target folder>/release and has no option for another
# profile, so it is pointed at the stage as its target folder, where the app waits in
# release/; the profile's own folder stays as cargo left it.
cp "$BUILT/ferry-desktop" "$STAGE/release/ferry-desktop"

echo "Generating the manual page, the completions and the browser manifests"
"$FERRY" man | gzip -9n >"$FILES/ferry.1.gz"
for shell in bash zsh fish; do
    "$FERRY" completions "$shell" >"$FILES/completions/$shell"
done
for browser in chromium firefox; do
    "$FERRY" browser manifest "$browser" --path /usr/bin/ferry >"$FILES/$browser.json"
done
# A browser finds a host's manifest by the host's name: <name>.json.
host_name() { node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1])).name)' "$1"; }
chromium_host=$(host_name "$FILES/chromium.json")
firefox_host=$(host_name "$FILES/firefox.json")

sed "s|@SOURCE_URL@|${FERRY_SOURCE_URL%/}|g" "$ROOT/src-tauri/package/org.ferry.desktop.metainfo.xml" \
    >"$FILES/org.ferry.desktop.metainfo.xml"

echo "Generating the icons"
sizes=(16 24 32 48 64 128 256 512)
(cd "$ROOT/ui" && npx --no-install tauri icon "$ROOT/icons/icon.png" --output "$FILES/icons" \
    --png "$(IFS=,; echo "${sizes[*]}")" >/dev/null)
icons=$(for size in "${sizes[@]}"; do printf '"%s/icons/%sx%s.png",' "$FILES" "$size" "$size"; done)

# What the bundler adds to tauri.conf.json for the package: the programs beside the app, the
# generated files, the desktop entry's template, and the libraries the tray loads at run time.
cat >"$STAGE/tauri.deb.json" <<EOF
{
  "bundle": {
    "active": true,
    "icon": [${icons%,}],
    "longDescription": "A transfer manager with the job model of Windows BITS: jobs survive restarts and crashes, retry by themselves and hand over their files only when completed. The window, the tray icon and the ferry command line drive one queue.",
    "linux": {
      "deb": {
        "section": "net",
        "depends": ["libayatana-appindicator3-1", "libxdo3"],
        "desktopTemplate": "$ROOT/src-tauri/package/ferry.desktop",
        "files": {
          "/usr/bin/ferry": "$FERRY",
          "/usr/bin/ferry-tray": "$BUILT/ferry-tray",
          "/usr/lib/systemd/user/ferry.service": "$ROOT/src-tauri/cli/dist/ferry.service",
          "/usr/share/man/man1/ferry.1.gz": "$FILES/ferry.1.gz",
          "/usr/share/bash-completion/completions/ferry": "$FILES/completions/bash",
          "/usr/share/zsh/vendor-completions/_ferry": "$FILES/completions/zsh",
          "/usr/share/fish/vendor_completions.d/ferry.fish": "$FILES/completions/fish",
          "/usr/share/metainfo/org.ferry.desktop.metainfo.xml": "$FILES/org.ferry.desktop.metainfo.xml",
          "/etc/chromium/native-messaging-hosts/$chromium_host.json": "$FILES/chromium.json",
          "/etc/opt/chrome/native-messaging-hosts/$chromium_host.json": "$FILES/chromium.json",
          "/usr/lib/mozilla/native-messaging-hosts/$firefox_host.json": "$FILES/firefox.json"
        }
      }
    }
  }
}
EOF

echo "Bundling the .deb"
(cd "$ROOT/ui" && CARGO_TARGET_DIR="$STAGE" TAURI_APP_PATH="$ROOT/src-tauri" \
    TAURI_FRONTEND_PATH="$ROOT/ui" npx --no-install tauri bundle --ci --bundles deb \
    --features custom-protocol --config "$STAGE/tauri.deb.json")

built=("$STAGE"/release/bundle/deb/*.deb)
version=$(dpkg-deb --field "${built[0]}" Version)
arch=$(dpkg-deb --field "${built[0]}" Architecture)
rm -f "$OUTPUT"/ferry_*.deb
cp "${built[0]}" "$OUTPUT/ferry_${version}_${arch}.deb"
echo "Built $OUTPUT/ferry_${version}_${arch}.deb"
