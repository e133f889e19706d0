#!/bin/sh
# style.sh: fail if clang-format (.clang-format, the house style) would change any tracked .c or .h file.
# Fix drift with: clang-format -i FILE...   (ctest runs this as style.clang-format, so `make test` does too)
set -eu
cd "$(dirname "$0")/.."
command -v clang-format >/dev/null 2>&1 || { echo "style: clang-format not found (scripts/deps.sh installs it)" >&2; exit 2; }
files=$(git ls-files '*.c' '*.h')
if ! clang-format --dry-run --Werror $files; then
	echo "style: the files above drift from .clang-format; run clang-format -i on them" >&2
	exit 1
fi
echo "style: $(echo "$files" | wc -l) files follow .clang-format"
