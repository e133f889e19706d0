#!/bin/sh
# deps.sh: install the Debian packages (and npm modules for browser tests) Samvaer needs; idempotent and fast when all are present.
set -eu
cd "$(dirname "$0")/.."

PKGS="build-essential cmake pkg-config clang clang-format libclang-rt-14-dev git
libwebsockets-dev libwebsockets-evlib-ev libev-dev libssl-dev libsqlite3-dev sqlite3
libjansson-dev libargon2-dev libicu-dev libsrtp2-dev libopus-dev libogg-dev
libvips-dev libavformat-dev libavcodec-dev libswscale-dev libavutil-dev libqrencode-dev libcurl4-openssl-dev libzip-dev
python3 python3-websockets chromium nodejs iproute2 util-linux procps tzdata openssl systemd
janus coturn ffmpeg libimage-exiftool-perl imagemagick"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
# npm ships inside some nodejs builds (e.g. NodeSource); take Debian's npm only when there is none.
command -v npm >/dev/null 2>&1 || missing="$missing npm"
if [ -n "$missing" ]; then
	echo "deps: installing$missing"
	SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
fi

# Browser tests drive Debian's chromium through playwright-core (no browser download).
# Reinstalled when package.json names a module node_modules lacks (a new test dependency).
npm_missing() {
	node -e 'const fs = require("fs"), d = require("./tests/browser/package.json").dependencies;
		process.exit(Object.keys(d).some((m) => !fs.existsSync("tests/browser/node_modules/" + m)) ? 0 : 1)'
}
if [ "${SAMVAER_SKIP_NPM:-0}" != 1 ] && npm_missing; then
	echo "deps: installing the browser tests' npm modules"
	(cd tests/browser && npm install --no-audit --no-fund --silent)
fi
