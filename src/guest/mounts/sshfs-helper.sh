#!/bin/sh
# tslima reverse-sshfs helper: prepare|mount|umount LOCATION MOUNTPOINT OPTIONS. Written by tslima; do not edit.
set -u
PATH=/usr/sbin:/usr/bin:/sbin:/bin
LIB=@@GUEST_LIB@@ ALLOW=@@ALLOW@@ SSHFS=@@SSHFS@@
[ $# -eq 4 ] || { echo "usage: $0 prepare|mount|umount LOCATION MOUNTPOINT OPTIONS" >&2; exit 2; }
key=$(printf '%s\n%s\n%s\n' "$2" "$3" "$4" | sha256sum | cut -d' ' -f1)
if ! grep -qx "$key" "$ALLOW" 2>/dev/null; then
  echo "tslima: $3 is not a reverse-sshfs mount of this instance" >&2
  exit 1
fi
# shellcheck disable=SC1091 # env.sh exists in the guest only
. "$LIB/env.sh"
mp=$3
unsafe() { echo "tslima: refusing mount point $mp: $1" >&2; exit 1; }
# Every directory above the mount point must be root's and no link, made when missing (prepare).
# Others may write in one only when it is sticky (/tmp): then they cannot move root's entries.
# sticky=1 when the last one is such a directory.
parents() {
  p='' rest=${mp#/} sticky=0
  while :; do
    case $rest in */*) c=${rest%%/*} rest=${rest#*/} ;; *) return 0 ;; esac
    [ -n "$c" ] || continue
    p=$p/$c
    [ -L "$p" ] && unsafe "$p is a symbolic link"
    # shellcheck disable=SC2015 # unsafe when not preparing or when mkdir fails
    [ -e "$p" ] || { [ "$1" = prepare ] && mkdir -m 755 "$p" || unsafe "cannot create $p"; }
    [ -d "$p" ] || unsafe "$p is not a directory"
    [ "$(stat -c %u "$p")" = 0 ] || unsafe "$p is not owned by root"
    sticky=0
    case $(stat -c %A "$p") in
    ?????????[tT]*) sticky=1 ;;
    ?????w*|????????w*) unsafe "$p is writable by others than root" ;;
    esac
  done
}
parents "$1"
# The mount point itself: no link. In a sticky directory it stays root's (the user could replace
# their own directory there with a link before sshfs mounts on it); elsewhere it is the user's.
point() {
  [ -L "$mp" ] && unsafe "it is a symbolic link"
  [ -d "$mp" ] || unsafe "it is not a directory"
  [ "$sticky" = 0 ] || [ "$(stat -c %u "$mp")" = 0 ] || unsafe "it is not owned by root"
}
case $1 in
prepare)
  [ -L "$3" ] || umount -l "$3" 2>/dev/null
  [ -L "$3" ] || [ -e "$3" ] || mkdir -m 755 "$3" || exit 1
  owner=$TSLIMA_USER; [ "$sticky" = 0 ] || owner=0
  chown -h "$owner" "$3" || exit 1
  point ;;
mount)
  point
  mode=slave; "$SSHFS" -h 2>&1 | grep -q passive && mode=passive
  exec "$SSHFS" ":$2" "$3" -o "$mode" -o allow_other -o "$4" ;;
umount) [ -L "$3" ] && unsafe "it is a symbolic link"; exec umount -l "$3" ;;
*) echo "tslima: unknown action $1" >&2; exit 2 ;;
esac
