#!/bin/sh
# Renders the family app's PNG icons (192 and 512 px, for web/manifest.json) from web/icons/icon.svg.
# Run once after changing the SVG and commit the PNGs; the build does not need it.
# Needs rsvg-convert (Debian package librsvg2-bin).
set -eu
cd "$(dirname "$0")/../web/icons"
for size in 192 512; do
	rsvg-convert --width "$size" --height "$size" --format png --output "icon-$size.png" icon.svg
done
