# tslima doctor mounts: the probe of one role (sh -s -- DIR ROLE; DIR = <scratch>/<role>, made here).
# ROLE "root" also chowns, and opens the scratch directory (the host makes it 0700) to the user who ran
# sudo when the guest shows it owned by someone else. Every line: key TAB ok|fail|skip TAB output.
# The host's file and link, the owner to chown to, the content and mtime to write, and the python3 and
# perl parts (doctor-probe.py, doctor-probe.pl) are filled in by src/mounts/doctor/probes.ts.
HOST_FILE=@@HOST_FILE@@ HOST_LINK=@@HOST_LINK@@ CHOWN_TO=@@CHOWN_TO@@ T_CONTENT=@@T_CONTENT@@ T_MTIME=@@T_MTIME@@
PROBE_PY=@@PROBE_PY@@
PROBE_PL=@@PROBE_PL@@
D="$1"; ROLE="$2"; S=$(dirname "$D")
if [ "$ROLE" = root ] && [ -n "${SUDO_UID:-}" ] && [ "$(stat -c %u "$S")" != "$SUDO_UID" ]; then chmod 0777 "$S"; fi
r id id -un
r mkdir mkdir "$D"
[ -d "$D" ] || exit 0
cd "$D" || exit 0
r write sh -c 'echo from-guest > gw.txt && cat gw.txt'
r hostread cat "$S/$HOST_FILE"
r hoststat stat -c '%s %Y %a' "$S/$HOST_FILE"
r hostlink readlink "$S/$HOST_LINK"
r hostlinkcat cat "$S/$HOST_LINK"
if [ "$ROLE" = root ]; then
  touch own
  r chown chown "$CHOWN_TO" own
  r owner stat -c %u:%g own
fi
r symlink ln -s gw.txt gl
r symlinkread readlink gl
echo x > f
r hardlink ln f f2
r nlink stat -c %h f
echo a > ra; echo b > rb
r rename mv -f ra rb
r renamed cat rb
echo 'echo hi' > m
r chmod chmod 750 m
r mode stat -c %a m
# shellcheck disable=SC2016 # expanded by the inner sh
r mtime sh -c 'printf %s "$1" > t && touch -d "@$2" t && stat -c "%s %Y" t' sh "$T_CONTENT" "$T_MTIME"
r fsync sh -c 'echo s > fs && sync fs'
r odirect dd if=/dev/zero of=od bs=4096 count=1 oflag=direct
r sparse sh -c 'truncate -s 64M sp && stat -c "%s %b %B" sp'
r case sh -c 'echo u > Case && echo l > case && ls | grep -ci "^case$"'
if command -v flock >/dev/null 2>&1; then r flock flock -n -x fk true; else skip flock "not tested (no flock: util-linux)"; fi
X=
if command -v setfattr >/dev/null 2>&1 && command -v getfattr >/dev/null 2>&1; then
  r xattr sh -c 'touch x && setfattr -n user.tslima -v doctor x && getfattr --only-values -n user.tslima x'
else X=xattr; fi
if command -v python3 >/dev/null 2>&1; then
  # shellcheck disable=SC2086 # $X: one word or none
  python3 -c "$PROBE_PY" "$D" $X
elif command -v perl >/dev/null 2>&1; then
  perl -e "$PROBE_PL" "$D"
  [ -n "$X" ] && skip xattr "not tested (no setfattr, no python3)"
else
  for k in fcntl mmap socket $X; do skip "$k" "not tested (no python3/perl)"; done
fi
exit 0
