#!/bin/bash
# bench-photos.sh: photo processing in `make bench` — a 12 MP JPEG (with EXIF and GPS, as from a phone) to a stripped
# display size + thumbnail by server/mediaproc (libvips), against ImageMagick's convert doing the same in the same run.
# Usage: scripts/bench-photos.sh BUILD_DIR   (bench-mediaproc built there). Knobs: BENCH_PHOTO_ROUNDS=10
# Prints the table rows; exit 0 when both targets pass (<= 60 ms CPU per photo, >= 4x faster than convert).
set -u
BUILD=${1:-}
[ -n "$BUILD" ] && [ -x "$BUILD/bench-mediaproc" ] || { echo "usage: $0 BUILD_DIR (with bench-mediaproc)" >&2; exit 2; }
ROUNDS=${BENCH_PHOTO_ROUNDS:-10}
# Debian's ImageMagick 6 by its own name: a convert earlier in PATH may be something else.
CONVERT=$(command -v convert-im6.q16 || command -v convert)
TMP=$(mktemp -d /tmp/samvaer-bench-photos.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
PIN=""
command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ] && PIN="taskset -c 1"

# A 12 MP photo-like JPEG (texture + fine noise, about 2 MB at quality 2) with a phone's metadata.
ffmpeg -v error -y -f lavfi -i "testsrc2=size=4000x3000,noise=alls=10:allf=t,gblur=sigma=0.8" -frames:v 1 -q:v 2 \
	"$TMP/photo.jpg" || { echo "bench-photos: ffmpeg could not make the photo" >&2; exit 1; }
exiftool -q -overwrite_original -GPSLatitude=55.6761 -GPSLatitudeRef=N -GPSLongitude=12.5683 -GPSLongitudeRef=E \
	-Make=Phone -Model=Camera -DateTimeOriginal='2026:06:01 12:00:00' "$TMP/photo.jpg"

# Samvaer: CPU per photo over ROUNDS (decode at the JPEG's 1/2 scale, auto-rotate, sRGB, strip, 2000x1500 display
# JPEG q82, 320 px thumbnail JPEG, both hashed and stored in a blob store with fsync).
$PIN "$BUILD/bench-mediaproc" photo "$TMP/photo.jpg" "$TMP/data" "$ROUNDS" >"$TMP/samvaer.txt" 2>&1
SAM=$(sed -n 's/^cpu_ms_per_photo //p' "$TMP/samvaer.txt")
DISP=$(sed -n 's/^display \([0-9x]*\).*/\1/p' "$TMP/samvaer.txt")
# The same photo held sideways, as phones write it (orientation tag 6: the pixels must be turned, which needs the
# whole decoded image in memory): printed for information.
cp "$TMP/photo.jpg" "$TMP/photo-turned.jpg"
exiftool -q -overwrite_original '-Orientation#=6' "$TMP/photo-turned.jpg"
$PIN "$BUILD/bench-mediaproc" photo "$TMP/photo-turned.jpg" "$TMP/data" "$ROUNDS" >"$TMP/turned.txt" 2>&1
SAM_TURNED=$(sed -n 's/^cpu_ms_per_photo //p' "$TMP/turned.txt")
DISP_TURNED=$(sed -n 's/^display \([0-9x]*\).*/\1/p' "$TMP/turned.txt")

# ImageMagick, one thread: auto-orient, strip, display size <= 2048 at q82, 320 px thumbnail, as one usually runs it
# (full decode); then with the shortcut samvaer takes (the JPEG decoder's 1/2 scale, via jpeg:size).
# CPU = user + sys of the convert processes (this shell's children).
im_loop() { # N HINT: convert N times (HINT: the jpeg:size shortcut, or "")
	for _ in $(seq "$1"); do
		MAGICK_THREAD_LIMIT=1 $PIN "$CONVERT" ${2:+-define jpeg:size=$2} "$TMP/photo.jpg" -auto-orient -strip \
			-resize '2048x2048>' -quality 82 -write "$TMP/im-display.jpg" -thumbnail '320x320>' -quality 82 \
			"$TMP/im-thumb.jpg" || return 1
	done
}
export -f im_loop
export PIN CONVERT TMP
im_cpu() { # HINT: CPU ms per photo (user + sys of the convert processes, from /usr/bin/time)
	im_loop 1 "$1" || return 1
	/usr/bin/time -f '%U %S' -o "$TMP/time" bash -c 'im_loop "$0" "$1"' "$ROUNDS" "$1" || return 1
	awk -v n="$ROUNDS" '{ printf "%.1f", ($1 + $2) * 1000 / n }' "$TMP/time"
}
IM="" IM_HINT="" IM_DISP="" IM_HINT_DISP=""
if [ -n "$CONVERT" ]; then
	IM=$(im_cpu "") && IM_DISP=$(identify -format '%wx%h' "$TMP/im-display.jpg" 2>/dev/null)
	IM_HINT=$(im_cpu 2000x1500) && IM_HINT_DISP=$(identify -format '%wx%h' "$TMP/im-display.jpg" 2>/dev/null)
fi
ratio() { [ -n "$SAM" ] && [ -n "$1" ] && awk -v s="$SAM" -v i="$1" 'BEGIN { if (s > 0) printf "%.1f", i / s }'; }
RATIO=$(ratio "$IM")
RATIO_HINT=$(ratio "$IM_HINT")

row() { printf '%-46s %-20s %-16s %s\n' "$1" "$2" "$3" "$4"; }
check() {
	if [ -z "$1" ]; then echo "FAIL (not measured)";
	elif awk -v v="$1" -v l="$3" "BEGIN { exit !(v $2 l) }"; then echo PASS; else echo FAIL; fi
}
echo
echo "Photos: a 12 MP JPEG (4000x3000, $(($(stat -c %s "$TMP/photo.jpg") / 1024)) KB, GPS EXIF) to a stripped display" \
	"size + 320 px thumbnail, CPU per photo over $ROUNDS rounds, one thread each (${PIN:-unpinned})"
row "figure" "measured" "target" "result"
row "samvaer (libvips) CPU ms per photo" "${SAM:-n/a} ms (${DISP:-?})" "<= 60 ms" "$(check "$SAM" '<=' 60)"
row "  the same photo with orientation 6 (turned)" "${SAM_TURNED:-n/a} ms (${DISP_TURNED:-?})" "(info)" "-"
row "ImageMagick convert CPU ms per photo" "${IM:-n/a} ms (${IM_DISP:-?})" "(peer)" "-"
row "  convert / samvaer" "${RATIO:-n/a}x" ">= 4x" "$(check "$RATIO" '>=' 4)"
row "convert with the 1/2-scale decode (jpeg:size)" "${IM_HINT:-n/a} ms (${IM_HINT_DISP:-?})" "(info)" "-"
row "  that convert / samvaer" "${RATIO_HINT:-n/a}x" "(info)" "-"
row "  machine load average (1 min)" "$(cut -d' ' -f1 /proc/loadavg)" "(info: $(nproc) cores)" "-"
[ "$(check "$SAM" '<=' 60)" = PASS ] && [ "$(check "$RATIO" '>=' 4)" = PASS ]
