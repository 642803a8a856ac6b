#!/bin/sh
# tslima boot check: before sshd, the files cloud-init wrote must not be empty. Written by tslima; do not edit.
set -u
FILES=@@FILES@@
REPAIRED=@@REPAIRED@@
SUDOERS=@@SUDOERS@@
REPAIR_PY=@@REPAIR_PY@@
broken=""
# FILES: one path a line
IFS='
'
for f in $FILES; do
  [ -s "$f" ] || broken="$broken $f"
done
unset IFS
[ -n "$broken" ] || exit 0
mkdir -p /run/tslima
echo "tslima-check: missing or empty:$broken; repairing from the cidata"
dev=""
for _ in 1 2 3 4 5 6 7 8 9 10; do
  dev=$(blkid -L cidata 2>/dev/null) && [ -n "$dev" ] && break
  dev=""
  sleep 1
done
mnt=/run/tslima/cidata
if [ -z "$dev" ] || ! mkdir -p "$mnt" || ! mount -o ro "$dev" "$mnt"; then
  echo "tslima-check: cannot read the cidata to repair$broken" | tee -a "$REPAIRED"
  exit 0
fi
python3 -c "$REPAIR_PY" "$mnt/user-data" "$SUDOERS" 2>&1 | tee -a "$REPAIRED"
umount "$mnt"
case $broken in
  *.service*|*.conf*)
    systemctl daemon-reload
    if grep -qw cloud-init=disabled /proc/cmdline; then systemctl start --no-block tslima-boot.service; fi ;;
esac
exit 0
