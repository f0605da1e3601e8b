#!/bin/sh
# Instructions per composed frame of compositord's kernels (room gfx-comp):
# valgrind counts the bench's instructions with 0 and N frames; the
# difference over N is the cost of one frame (latch + composition).
# Images RGBA8 (as clients bind them) and BGRA8 (the output's order).
set -e
bin=$1
n=${2:-10}
command -v valgrind >/dev/null || { echo "comp-bench: no valgrind" >&2; exit 1; }
ir() {
	valgrind --tool=lackey --basic-counts=yes "$bin" "$1" "$2" "$3" 2>&1 |
		sed -n 's/.*guest instrs: *\([0-9,]*\).*/\1/p' | tr -d ,
}
for fmt in rgba bgra; do
	for scene in alpha4 pixel4 sprite; do
		a=$(ir $scene 0 $fmt)
		b=$(ir $scene "$n" $fmt)
		echo "comp-bench: $scene $fmt: $(( (b - a) / n )) instructions per frame"
	done
done
