import { GUEST_LIB, PROVISION_LOG, READY_FILE } from "../context.js";

/**
 * The guest's per-boot runner (POSIX sh), installed by write_files and started every boot by
 * cloud-init's scripts-per-boot (final stage). It defines the steps; the generated plan.sh calls
 * them in order. Every step is idempotent: it may run on each boot.
 */
export const RUNNER_SH = `#!/bin/sh
# tslima guest runner: every boot, after cloud-init's init stage. Written by tslima; do not edit.
set -u
LIB=${GUEST_LIB}
STATE=/run/tslima
READY=${READY_FILE}
PLOG=${PROVISION_LOG}
mkdir -p "$STATE"
rm -f "$READY"
FAILURES="$STATE/failures"
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
  what=$(printf '%s' "$4" | sed 's/\\\\/\\\\\\\\/g; s/"/\\\\"/g')
  printf '{"mode":"%s","index":%s,"exit":%s,"what":"%s"}\\n' "$1" "$2" "$3" "$what" >>"$FAILURES"
  say "$1 provisioning step $2 failed (exit $3): $4"
}

# hosts_entry IP NAME: add "IP NAME" to /etc/hosts unless NAME is there already
hosts_entry() {
  if ! awk -v n="$2" '{ for (i = 2; i <= NF; i++) if ($i == n) f = 1 } END { exit !f }' /etc/hosts 2>/dev/null; then
    printf '%s\\t%s\\n' "$1" "$2" >>/etc/hosts
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
  if [ "\${#pw}" -eq 16 ] && printf '%s:%s\\n' "$TSLIMA_USER" "$pw" | chpasswd &&
    printf '%s\\n' "$pw" | runuser -u "$TSLIMA_USER" -- sh -c 'umask 077 && cat >"$1"' sh "$TSLIMA_USER_HOME/password" &&
    mkdir -p "\${mark%/*}" && touch "$mark"; then
    say "sudo password of $TSLIMA_USER set; it is in $TSLIMA_USER_HOME/password"
  else
    failure password 0 1 "set a sudo password for $TSLIMA_USER"
  fi
}

# data INDEX PATH OWNER PERMISSIONS OVERWRITE: install $LIB/data/INDEX at PATH
data() {
  src="$LIB/data/$1"
  if [ -e "$2" ] && [ "$5" != true ]; then return 0; fi
  if mkdir -p "$(dirname "$2")" && cp "$src" "$2.tslima-new" && chown "$3" "$2.tslima-new" &&
    chmod "$4" "$2.tslima-new" && mv -f "$2.tslima-new" "$2"; then
    return 0
  fi
  rm -f "$2.tslima-new"
  failure data "$1" 1 "write $2"
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
    chgrp "\${gid:-}" "$f" && chmod 0750 "$f" || { failure "$mode" "$index" 1 "give $mode script $index to the group of $TSLIMA_USER"; return 0; }
    ( cd "$TSLIMA_USER_HOME" 2>/dev/null || cd /
      runuser -u "$TSLIMA_USER" -- env HOME="$TSLIMA_USER_HOME" USER="$TSLIMA_USER" LOGNAME="$TSLIMA_USER" \\
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

. "$LIB/plan.sh"

# boot-mode scripts ran earlier (bootcmd) and left their failures in $STATE/boot-failures
[ -f "$STATE/boot-failures" ] && cat "$STATE/boot-failures" >>"$FAILURES"
if [ -s "$FAILURES" ]; then mv -f "$FAILURES" "$PLOG"; else rm -f "$FAILURES" "$PLOG"; fi
rm -f "$STATE/boot-failures"
touch "$READY"
say "ready"
`;

/** The systemd unit that does the per-boot work when cloud-init is switched off (see cidata/boot-mode.ts). */
export const LIGHT_BOOT_UNIT_PATH = "/etc/systemd/system/tslima-boot.service";
/** Makes multi-user.target want the unit; a drop-in, because write_files cannot make the .wants symlink. */
export const LIGHT_BOOT_DROPIN_PATH = "/etc/systemd/system/multi-user.target.d/tslima-boot.conf";
/** The unit's program: mode "boot" scripts, then the runner (generated per config by lightBootScript()). */
export const LIGHT_BOOT_SH_PATH = `${GUEST_LIB}/boot.sh`;

/**
 * Runs only when the kernel command line has cloud-init=disabled (a light boot: the cidata is the
 * one this unit was installed from). Ordered and killed like cloud-final, which starts the runner on
 * a full boot: after the network is online, no timeout, processes a provision script leaves running stay.
 */
export const LIGHT_BOOT_UNIT = `[Unit]
Description=tslima per-boot setup while cloud-init is switched off (cloud-init=disabled)
ConditionKernelCommandLine=cloud-init=disabled
Wants=network-online.target
After=network-online.target local-fs.target

[Service]
Type=oneshot
RemainAfterExit=yes
KillMode=process
TimeoutSec=0
ExecStart=${LIGHT_BOOT_SH_PATH}
StandardOutput=append:/var/log/cloud-init-output.log
StandardError=inherit
`;

export const LIGHT_BOOT_DROPIN = `[Unit]
Wants=tslima-boot.service
`;

/**
 * boot.sh: on a light boot, what cloud-init would have run: the mode "boot" scripts (its bootcmd;
 * \`bootIndices\` are their indexes in provision, files under ${GUEST_LIB}/boot), then the runner.
 */
export function lightBootScript(bootIndices: readonly string[]): string {
  return `#!/bin/sh
# tslima light boot (cloud-init=disabled: the cidata is unchanged). Written by tslima; do not edit.
set -u
LIB=${GUEST_LIB}
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
${bootIndices.map((i) => `boot_script ${i}
`).join("")}exec "$LIB/runner.sh"
`;
}

/** Starts the runner from cloud-init's scripts-per-boot directory. */
export const PER_BOOT_SH = `#!/bin/sh
exec ${GUEST_LIB}/runner.sh
`;

/** Login shells see the instance's env: (ssh sessions run "$SHELL -l -c"). */
export const PROFILE_SH = `# tslima: the instance's env: from lima.yaml
[ -r ${GUEST_LIB}/env.sh ] && . ${GUEST_LIB}/env.sh
`;
