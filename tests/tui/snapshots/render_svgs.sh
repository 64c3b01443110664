#!/bin/sh
# Render the snapshot SVGs to PNG so a person can look at them (needs rsvg-convert).
# Usage: tests/tui/snapshots/render_svgs.sh [OUTDIR]   (default: /tmp/agent-console-snapshots)
set -eu
here=$(dirname "$0")
out=${1:-/tmp/agent-console-snapshots}
mkdir -p "$out"
for svg in "$here"/__snapshots__/*/*.svg; do
    name=$(basename "$(dirname "$svg")")__$(basename "$svg" .svg)
    rsvg-convert --zoom 1.5 --background-color white -o "$out/$name.png" "$svg"
done
echo "rendered to $out"
