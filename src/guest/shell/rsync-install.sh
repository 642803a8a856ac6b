#!/bin/sh
# Installs rsync for `shell --sync` and `copy --backend rsync` when the guest has none, with the
# distribution's package manager, as root (run through `sudo -n`). Exit 0 when rsync is there afterwards.
set -u
command -v rsync >/dev/null 2>&1 && exit 0
if command -v apt-get >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q --no-install-recommends rsync >/dev/null 2>&1 ||
    { apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends rsync >/dev/null; }
elif command -v dnf >/dev/null 2>&1; then
  dnf install -y -q rsync >/dev/null
elif command -v apk >/dev/null 2>&1; then
  apk add -q rsync >/dev/null
elif command -v zypper >/dev/null 2>&1; then
  zypper -n -q install rsync >/dev/null
fi
command -v rsync >/dev/null 2>&1
