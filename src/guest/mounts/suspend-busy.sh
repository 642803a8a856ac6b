# Lists the guest processes holding something under each mount point given (see src/mounts/suspend.ts):
# PID TAB MOUNTPOINT TAB HOW TAB COMMAND LINE. As root: sudo -n sh -c THIS tslima-busy MOUNTPOINT...
cd / || exit 1
for mp in "$@"; do
  # find's -lname is a glob: escape its special characters in the mount point
  pat=$(printf '%s' "$mp" | sed 's/[][*?\\]/\\&/g')
  { find /proc/[0-9]*/cwd /proc/[0-9]*/root /proc/[0-9]*/exe /proc/[0-9]*/fd -maxdepth 1 \( -lname "$pat" -o -lname "$pat/*" \) 2>/dev/null
    grep -lF " $mp/" /proc/[0-9]*/maps 2>/dev/null; } |
  while IFS= read -r f; do
    pid=${f#/proc/}; pid=${pid%%/*}; what=${f#/proc/"$pid"/}
    [ "$pid" = "$$" ] && continue
    case $what in fd/*) how="open file";; cwd) how="working directory";; root) how="root directory";; exe) how="program";; maps) how="mapped file";; *) how=$what;; esac
    cmd=$(tr '\0\t\n' '   ' < /proc/"$pid"/cmdline 2>/dev/null | cut -c1-100)
    printf '%s\t%s\t%s\t%s\n' "$pid" "$mp" "$how" "$cmd"
  done
done
exit 0
