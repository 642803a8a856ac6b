#!/bin/sh
# The MCP tool search_file_content, run in the directory to search: `git grep -n --no-index` when
# the guest has git (what Lima's tool runs), else the same lines from find and grep: PATH:LINE:TEXT,
# paths relative to the directory, in git's (bytewise) order, .git skipped, binary files skipped.
# Usage: search.sh PATTERN [PATHSPEC]; PATHSPEC is a glob whose * also matches /, as git's.
set -u
pattern=$1
include=${2:-}
if command -v git >/dev/null 2>&1; then
  if [ -n "$include" ]; then
    exec git grep -n --no-index -e "$pattern" -- "$include"
  fi
  exec git grep -n --no-index -e "$pattern"
fi
if [ -n "$include" ]; then
  find . -name .git -prune -o -type f -path "./$include" -printf '%P\0'
else
  find . -name .git -prune -o -type f -printf '%P\0'
fi | LC_ALL=C sort -z | xargs -0 -r grep -nH -I -e "$pattern" --
