#!/bin/sh
# tslima guest runner: every boot, after cloud-init's init stage. Written by tslima; do not edit.
# shellcheck disable=SC1091,SC2015,SC2016 # env.sh and plan.sh exist in the guest only; A && B || C: C runs when A or B fails, as meant; '...' programs of an inner sh
set -u
LIB=@@GUEST_LIB@@
STATE=/run/tslima
READY=@@READY_FILE@@
PLOG=@@PROVISION_LOG@@
mkdir -p "$STATE"
# TSLIMA_RUNNER=functions: sourced for its steps only (hostagent/yq-apply.sh), failures to TSLIMA_FAILURES
[ "${TSLIMA_RUNNER:-}" = functions ] || rm -f "$READY"
FAILURES=${TSLIMA_FAILURES:-$STATE/failures}
touch "$FAILURES"
[ -f "$LIB/env.sh" ] && . "$LIB/env.sh"

say() { echo "tslima: $*"; }

# env.sh holds env: and param: values that login shells read: root and the user's group only
if gid=$(id -g "$TSLIMA_USER" 2>/dev/null); then
  chgrp "$gid" "$LIB/env.sh" && chmod 0640 "$LIB/env.sh"
else
  say "user $TSLIMA_USER not found: $LIB/env.sh stays readable by root only"
fi

# failure MODE INDEX EXIT WHAT: one JSON line per failed step
failure() {
  what=$(printf '%s' "$4" | sed 's/\\/\\\\/g; s/"/\\"/g')
  printf '{"mode":"%s","index":%s,"exit":%s,"what":"%s"}\n' "$1" "$2" "$3" "$what" >>"$FAILURES"
  say "$1 provisioning step $2 failed (exit $3): $4"
}

# hosts_entry IP NAME: add "IP NAME" to /etc/hosts unless NAME is there already
hosts_entry() {
  if ! awk -v n="$2" '{ for (i = 2; i <= NF; i++) if ($i == n) f = 1 } END { exit !f }' /etc/hosts 2>/dev/null; then
    printf '%s\t%s\n' "$1" "$2" >>/etc/hosts
  fi
}

# home_alias PATH: the user's home also reachable as PATH, a symlink (Lima's .linux / .guest names)
home_alias() {
  [ -e "$1" ] || [ -L "$1" ] || ln -s "$TSLIMA_USER_HOME" "$1" || say "cannot link $1 to $TSLIMA_USER_HOME"
}

# mount_point PATH ESCAPED: create the real directory; drop the one cloud-init made from the escaped name
mount_point() {
  mkdir -p "$1" 2>/dev/null || say "cannot create mount point $1"
  if [ "$1" != "$2" ] && [ -d "$2" ]; then rmdir "$2" 2>/dev/null || true; fi
}

mount_all() {
  mount -a -t 9p,virtiofs 2>&1 | sed 's/^/tslima: mount: /' || true
}

# user_password: once per disk (user.passwordlessSudo: false), a random password for sudo, which
# the user can read in ~/password (written as the user, mode 0600)
user_password() {
  mark=/var/lib/tslima/password-set
  [ -e "$mark" ] && return 0
  pw=$(head -c 48 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | cut -c1-16)
  if [ "${#pw}" -eq 16 ] && printf '%s:%s\n' "$TSLIMA_USER" "$pw" | chpasswd &&
    printf '%s\n' "$pw" | runuser -u "$TSLIMA_USER" -- sh -c 'umask 077 && cat >"$1"' sh "$TSLIMA_USER_HOME/password" &&
    mkdir -p "${mark%/*}" && touch "$mark"; then
    say "sudo password of $TSLIMA_USER set; it is in $TSLIMA_USER_HOME/password"
  else
    failure password 0 1 "set a sudo password for $TSLIMA_USER"
  fi
}

# data_dir DIR: where root may write in DIR, which is made as needed. Walks DIR from /: a component
# owned by root must be a directory not writable by group or others (sticky ones like /tmp are: only
# new names are written there, via mktemp and a rename); root's own symlinks there are followed (/bin).
# Prints "0" when the whole path is root's; "UID REST" at the first component owned by another user
# (REST: that component and what follows); fails for anything else (a non-directory, a group-writable
# directory, a symlink a user could have made).
data_dir() {
  cur='' rest=${1#/}
  while [ -n "$rest" ]; do
    c=${rest%%/*}
    case $rest in */*) rest=${rest#*/} ;; *) rest= ;; esac
    case $c in "" | .) continue ;; ..) return 1 ;; esac
    next="$cur/$c"
    if [ ! -e "$next" ] && [ ! -L "$next" ]; then mkdir -m 755 "$next" || return 1; fi
    u=$(stat -c %u "$next") || return 1
    if [ "$u" != 0 ]; then echo "$u $next${rest:+/$rest}"; return 0; fi
    [ -d "$next" ] && st=$(stat -L -c '%u %a' "$next") && [ "${st% *}" = 0 ] || return 1
    m=$((0${st#* }))
    if [ $((m & 022)) -ne 0 ] && [ $((m & 01000)) -eq 0 ]; then return 1; fi
    cur=$next
  done
  echo 0
}

# data INDEX PATH OWNER PERMISSIONS OVERWRITE: install $LIB/data/INDEX (or $DATA_SRC) at PATH. Nothing
# a guest user controls is followed as root: in root's directories (data_dir) the file is a mktemp
# (O_EXCL) temporary, chown -h, chmod, renamed over PATH; under a directory owned by OWNER's user the
# whole write runs as that user; under anyone else's it is refused. Failures are of mode $DATA_MODE (data).
data() {
  src=${DATA_SRC:-$LIB/data/$1} dst=$2 dm=${DATA_MODE:-data} t=
  if { [ -e "$dst" ] || [ -L "$dst" ]; } && [ "$5" != true ]; then return 0; fi
  case $dst in /*[!/]) ;; *) failure "$dm" "$1" 1 "write $dst: not an absolute file path"; return 0 ;; esac
  if ! where=$(data_dir "${dst%/*}"); then failure "$dm" "$1" 1 "write $dst: a directory on the way is no root-owned directory (a symlink, or writable by others)"; return 0; fi
  if [ "$where" = 0 ]; then
    t=$(mktemp "${dst%/*}/.tslima-data.XXXXXX") && cat "$src" >"$t" && chown -h "$3" "$t" && chmod "$4" "$t" && mv -fT "$t" "$dst" && return 0
    [ -n "${t:-}" ] && rm -f "$t"
  else
    name=$(id -un "${3%%:*}" 2>/dev/null) && uid=$(id -u "$name") && [ "$uid" = "${where%% *}" ] ||
      { failure "$dm" "$1" 1 "write $dst: ${where#* } belongs to uid ${where%% *}, not to the file's owner $3"; return 0; }
    runuser -u "$name" -- sh -c 'mkdir -p -- "${1%/*}" && t=$(mktemp "${1%/*}/.tslima-data.XXXXXX") || exit 1
      cat >"$t" && chown -h "$2" "$t" && chmod "$3" "$t" && mv -fT "$t" "$1" && exit 0
      rm -f "$t"; exit 1' tslima-data "$dst" "$3" "$4" <"$src" && return 0
  fi
  failure "$dm" "$1" 1 "write $dst"
}

# script MODE INDEX: run $LIB/provision/INDEX as root (system, dependency) or the user (user)
script() {
  f="$LIB/provision/$2"
  if head -c 2 "$f" | grep -q '^#!'; then set -- "$1" "$2" "$f"; else set -- "$1" "$2" /bin/sh "$f"; fi
  mode=$1 index=$2
  shift 2
  say "running $mode provisioning script $index"
  if [ "$mode" = user ]; then
    # written 0700 (it holds param: values): readable and runnable by the user's group only
    chgrp "${gid:-}" "$f" && chmod 0750 "$f" || { failure "$mode" "$index" 1 "give $mode script $index to the group of $TSLIMA_USER"; return 0; }
    ( cd "$TSLIMA_USER_HOME" 2>/dev/null || cd /
      runuser -u "$TSLIMA_USER" -- env HOME="$TSLIMA_USER_HOME" USER="$TSLIMA_USER" LOGNAME="$TSLIMA_USER" \
        SHELL="$TSLIMA_USER_SHELL" XDG_RUNTIME_DIR="/run/user/$TSLIMA_USER_UID" "$@" )
  else
    ( cd / && "$@" )
  fi
  rc=$?
  [ "$rc" -eq 0 ] || failure "$mode" "$index" "$rc" "$mode script $index"
}

# disk INDEX NAME SERIAL FORMAT FSTYPE [FSARGS...]: an additional disk (Lima's additionalDisks). On
# first use (no file system labelled lima-NAME) and FORMAT=true: one GPT partition (when sfdisk is
# there; else the whole disk) with a FSTYPE file system labelled lima-NAME, owned by the user; then
# on every boot it is grown to the disk and mounted at /mnt/lima-NAME
disk() {
  index=$1 name=$2 dev=/dev/disk/by-id/virtio-$3 format=$4 fstype=$5
  shift 5
  n=0
  while [ ! -e "$dev" ] && [ "$n" -lt 30 ]; do sleep 1; n=$((n + 1)); done
  if [ ! -e "$dev" ]; then failure disk "$index" 1 "find additional disk $name ($dev)"; return 0; fi
  [ "$format" = true ] || return 0
  mnt="/mnt/lima-$name"
  fs=$(blkid -L "lima-$name" 2>/dev/null)
  if [ -z "$fs" ]; then
    say "formatting additional disk $name ($fstype)"
    fs=$dev
    if command -v sfdisk >/dev/null 2>&1 && echo 'type=linux' | sfdisk -q --label gpt "$dev"; then
      udevadm settle 2>/dev/null
      fs="$dev-part1"
    fi
    if ! "mkfs.$fstype" "$@" -L "lima-$name" "$fs"; then failure disk "$index" 1 "format additional disk $name as $fstype"; return 0; fi
    mkdir -p "$mnt" && mount -t "$fstype" "$fs" "$mnt" && chown "$TSLIMA_USER:" "$mnt" && umount "$mnt"
  fi
  if [ "$fs" != "$dev" ] && command -v growpart >/dev/null 2>&1; then growpart "$dev" 1 >/dev/null 2>&1 || true; fi
  mkdir -p "$mnt"
  if ! mountpoint -q "$mnt" && ! mount -t "$fstype" "$fs" "$mnt"; then failure disk "$index" 1 "mount additional disk $name at $mnt"; return 0; fi
  case $fstype in
    ext*) resize2fs "$fs" >/dev/null 2>&1 || true ;;
    xfs) xfs_growfs "$mnt" >/dev/null 2>&1 || true ;;
  esac
}

# unsupported MODE INDEX
unsupported() { failure "$1" "$2" 127 "provision mode $1 is not supported by tslima"; }

[ "${TSLIMA_RUNNER:-}" = functions ] && return 0
. "$LIB/plan.sh"

# boot-mode scripts ran earlier (bootcmd) and left their failures in $STATE/boot-failures
[ -f "$STATE/boot-failures" ] && cat "$STATE/boot-failures" >>"$FAILURES"
if [ -s "$FAILURES" ]; then mv -f "$FAILURES" "$PLOG"; else rm -f "$FAILURES" "$PLOG"; fi
rm -f "$STATE/boot-failures"
touch "$READY"
say "ready"
