# mountInotify's guest side: `sh -c THIS tslima-raise PROGRAM PREFIX MAX_WATCHES MAX_RECORDS
# RECORD_AGE_S SETTLE_S MOUNT_POINT...`, NUL-ended paths on stdin. PROGRAM (inotify-raise.py) runs under
# python3 with the other arguments. Without python3 only the hard link PREFIX<pid> is made next to
# each regular file and removed (a shell cannot open a file for writing without creating it); `read`
# cannot split at NULs, so xargs -0 hands over one path per shell.
if command -v python3 >/dev/null 2>&1; then
  program=$1
  shift
  exec python3 -c "$program" "$@"
fi
# shellcheck disable=SC2016 # the inner script is single-quoted on purpose: the inner sh expands it
exec xargs -0 -n 1 sh -c 'p=$2; if [ -f "$p" ] && [ ! -L "$p" ]; then t="${p%/*}/$1$$"; ln -- "$p" "$t" 2>/dev/null && rm -f -- "$t"; fi; exit 0' tslima-raise "$2"
