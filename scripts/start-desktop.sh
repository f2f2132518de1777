#!/usr/bin/env bash
# `npm start`: the desktop app. better-sqlite3 needs a build for Electron's ABI;
# it is made once per Electron version in a scratch copy and kept in
# native/electron/, never in node_modules (which the CLI, the tests and
# `wbc serve` need built for Node). See docs/desktop.md.
set -euo pipefail
cd "$(dirname "$0")/.."
ELECTRON_VERSION=$(node -p "require('electron/package.json').version")
BINDING=native/electron/better_sqlite3.node
STAMP=native/electron/electron-version
if [ -z "${WBC_SQLITE_BINDING:-}" ] && { [ ! -f "$BINDING" ] || [ "$(cat "$STAMP" 2>/dev/null)" != "$ELECTRON_VERSION" ]; }; then
  echo "Building better-sqlite3 for Electron $ELECTRON_VERSION (once) ..." >&2
  WORK=$(mktemp -d)
  trap 'rm -rf "$WORK"' EXIT
  cp -R node_modules/better-sqlite3 "$WORK/"
  fail() { echo "Could not build better-sqlite3 for Electron $ELECTRON_VERSION: $1. node_modules is untouched; 'npx wbc serve' (browser mode) works without it." >&2; exit 1; }
  (
    cd "$WORK/better-sqlite3"
    # A machine-wide npm 'nodedir' would make node-gyp build against Node's own
    # headers instead of Electron's: clear it for this build.
    export npm_config_nodedir=
    npx --yes prebuild-install --runtime electron --target "$ELECTRON_VERSION" \
      || npx --yes node-gyp rebuild --release --runtime=electron --target="$ELECTRON_VERSION" \
        --dist-url=https://electronjs.org/headers
  ) || fail "needs Electron's headers or prebuilt binaries from the internet"
  # A binary that plain Node can load was built for Node's ABI, not Electron's.
  if node -e "require(process.argv[1])" "$WORK/better-sqlite3/build/Release/better_sqlite3.node" 2>/dev/null; then
    fail "the build came out for Node's ABI, not Electron's (check npm's nodedir setting)"
  fi
  mkdir -p native/electron
  cp "$WORK/better-sqlite3/build/Release/better_sqlite3.node" "$BINDING"
  echo "$ELECTRON_VERSION" > "$STAMP"
fi
# Build when there is no build, or when a source is newer than it: otherwise
# the window would run the code of the last build, not the checkout's.
if [ ! -f out/main/index.js ] || [ -n "$(find src electron.vite.config.ts package.json -newer out/main/index.js -print -quit)" ]; then
  npx electron-vite build
fi
exec npx electron-vite preview
