#!/bin/sh
# tslima light boot (cloud-init=disabled: the cidata is unchanged). Written by tslima; do not edit.
# shellcheck disable=SC1091 # env.sh exists in the guest only
set -u
LIB=@@GUEST_LIB@@
BOOT_INDICES=@@BOOT_INDICES@@
echo "tslima: light boot $(date -Iseconds): cloud-init is switched off, the cidata is unchanged"
mkdir -p /run/tslima
rm -f /run/tslima/boot-failures
# boot_script INDEX: as the bootcmd entry of a full boot does
boot_script() {
  f="$LIB/boot/$1"
  if head -c 2 "$f" | grep -q '^#!'; then set -- "$1" "$f"; else set -- "$1" /bin/sh "$f"; fi
  i=$1
  shift
  ( . "$LIB/env.sh"; cd / && "$@" ) ||
    printf '{"mode":"boot","index":%s,"exit":%s,"what":"boot script %s"}\n' "$i" "$?" "$i" >>/run/tslima/boot-failures
}
for i in $BOOT_INDICES; do boot_script "$i"; done
exec "$LIB/runner.sh"
