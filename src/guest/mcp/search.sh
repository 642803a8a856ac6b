#!/bin/sh
# The MCP tool search_file_content, run in the directory to search: `git grep -n --no-index` when
# the guest has git (what Lima's tool runs), else the same lines from grep: PATH:LINE:TEXT, paths
# relative to the directory, sorted by path as git's are, .git skipped, binary files skipped.
# Usage: search.sh PATTERN [PATHSPEC]; PATHSPEC is a glob whose * also matches /, as git's.
# Exit status: grep's (0 found, 1 none, 2 an error, said on stderr).
set -u
pattern=$1
include=${2:-}
if command -v git >/dev/null 2>&1; then
  if [ -n "$include" ]; then
    exec git grep -n --no-index -e "$pattern" -- "$include"
  fi
  exec git grep -n --no-index -e "$pattern"
fi
out=$(mktemp) || exit 2
trap 'rm -f "$out"' EXIT
if [ -n "$include" ]; then
  find . -name .git -prune -o -type f -path "./$include" -print0 | xargs -0 -r grep -nHI -e "$pattern" -- >"$out"
else
  grep -rnI --exclude-dir=.git -e "$pattern" . >"$out"
fi
status=$?
# one grep or xargs over many: 1 is "no match", 123 (xargs) any grep's 1 or 2
[ "$status" = 123 ] && { [ -s "$out" ] && status=0 || status=1; }
sed 's|^\./||' "$out" | LC_ALL=C sort -t: -k1,1 -s
exit "$status"
