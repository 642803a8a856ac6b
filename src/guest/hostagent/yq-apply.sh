# Lima's provision mode "yq", the guest's half (root; sh -c THIS tslima-yq read|write|fail INDEX ...).
# The host agent evaluates the expression between a read and a write (hostagent/yq-apply.ts):
#   read INDEX PATH OWNER   prints "absent", or "present" and the file (read as OWNER's user)
#   write INDEX PATH OWNER PERMISSIONS   installs stdin at PATH with the runner's data step
#   fail INDEX WHAT   records a failure the host found (the expression, the format)
# Failures go to the provisioning report, as the runner's own do.
# shellcheck disable=SC1091,SC2034 # the runner exists in the guest only; it reads TSLIMA_RUNNER and TSLIMA_FAILURES
set -u
TSLIMA_RUNNER=functions TSLIMA_FAILURES=@@PROVISION_LOG@@ max=@@MAX_BYTES@@
. @@GUEST_LIB@@/runner.sh >/dev/null
index=$2
case $1 in
  read)
    path=$3 user=${4%%:*}
    if [ ! -e "$path" ] && [ ! -L "$path" ]; then echo absent; exit 0; fi
    if [ ! -f "$path" ]; then failure yq "$index" 1 "edit $path: not a regular file" >&2; exit 1; fi
    if [ "$(stat -L -c %s "$path")" -gt "$max" ]; then failure yq "$index" 1 "edit $path: too large for a yq edit" >&2; exit 1; fi
    echo present
    runuser -u "$user" -- cat -- "$path" || { failure yq "$index" 1 "read $path as $user" >&2; exit 1; }
    ;;
  write)
    t=$(mktemp) || exit 1
    cat >"$t" && DATA_MODE=yq DATA_SRC=$t data "$index" "$3" "$4" "$5" true
    rm -f "$t"
    ;;
  fail) failure yq "$index" 1 "$3" ;;
  *) exit 2 ;;
esac
