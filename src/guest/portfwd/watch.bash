# tslima's port watcher, the fork-free loop for bash 4.0 or later (`read -t` with a fraction, `+=`):
# what watch.sh prints, with bash's `read` parsing the files. The pause: a read with a timeout on a
# FIFO this shell holds open at both ends, so it neither gets data nor EOF. Should the FIFO not be
# made, the external sleep does the waiting.
INTERVAL=@@INTERVAL@@ REFRESH=@@REFRESH@@
f=$(mktemp -u "${TMPDIR:-/tmp}/tslima-portwatch.XXXXXX") && mkfifo -m 600 "$f" && exec 9<>"$f"
# shellcheck disable=SC2181 # the status of the whole && chain above
if [ $? -eq 0 ]; then nap() { read -r -t "$INTERVAL" -u 9 _; }; else nap() { sleep "$INTERVAL"; }; fi
[ -n "$f" ] && rm -f "$f"
prev=x; n=0
while :; do
  cur=
  for f in /proc/net/tcp /proc/net/tcp6; do
    [ -r "$f" ] || continue
    while read -r _ l _ st _; do [ "$st" = 0A ] && cur+=" $l"; done < "$f"
  done
  for f in /proc/net/udp /proc/net/udp6; do
    [ -r "$f" ] || continue
    while read -r _ l r st _; do [ "$st" = 07 ] && [[ $r =~ ^0+:0000$ ]] && cur+=" u:$l"; done < "$f"
  done
  if [ "$cur" != "$prev" ] || [ "$n" -ge "$REFRESH" ]; then
    echo "LISTEN$cur" || exit 0
    prev=$cur; n=0
  fi
  n=$((n + 1))
  nap
done
