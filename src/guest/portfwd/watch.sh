# tslima's port watcher where the guest has no bash (see src/portfwd/watchscript.ts): every INTERVAL
# seconds, "LISTEN" and the local addresses of the listening TCP and the bound UDP sockets, when they
# changed or every REFRESH rounds. One awk and one sleep a round.
INTERVAL=@@INTERVAL@@ REFRESH=@@REFRESH@@
prev=x; n=0
while :; do
  cur=$(awk 'FILENAME ~ /tcp/ && $4 == "0A" { printf " %s", $2 } FILENAME ~ /udp/ && $4 == "07" && $3 ~ /^0+:0000$/ { printf " u:%s", $2 }' /proc/net/tcp /proc/net/tcp6 /proc/net/udp /proc/net/udp6 2>/dev/null)
  if [ "$cur" != "$prev" ] || [ "$n" -ge "$REFRESH" ]; then
    echo "LISTEN$cur" || exit 0
    prev=$cur; n=0
  fi
  n=$((n + 1))
  sleep "$INTERVAL"
done
