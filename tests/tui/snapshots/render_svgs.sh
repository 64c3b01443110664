#!/bin/sh
# Render the snapshot SVGs to PNG so a person can look at them (needs rsvg-convert and the
# DejaVu Sans Mono font). The copy rendered keeps leading spaces (xml:space) and uses a local
# monospace font instead of the web font the SVG names; the snapshots are not touched.
# Usage: tests/tui/snapshots/render_svgs.sh [OUTDIR]   (default: /tmp/agent-console-snapshots)
set -eu
here=$(dirname "$0")
out=${1:-/tmp/agent-console-snapshots}
mkdir -p "$out"
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
for svg in "$here"/__snapshots__/*/*.svg; do
    name=$(basename "$(dirname "$svg")")__$(basename "$svg" .svg)
    sed -e 's/font-family: Fira Code, monospace;/font-family: DejaVu Sans Mono, monospace;/' \
        -e 's/<svg class="rich-terminal"/<svg xml:space="preserve" class="rich-terminal"/' \
        "$svg" >"$tmp"
    rsvg-convert --zoom 1.5 -o "$out/$name.png" "$tmp"
done
echo "rendered to $out"
