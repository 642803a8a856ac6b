#!/bin/sh
# tslima: containerd.system / containerd.user. Every boot, from the runner: the nerdctl-full archive
# on the cidata disk is extracted into /usr/local when its digest differs from the one installed,
# then the units asked for are enabled and started (idempotent). Written by tslima; do not edit.
# Usage: containerd.sh SYSTEM(0|1) USER(0|1) DIGEST USER_NAME USER_HOME USER_UID
set -eu
system=$1 user=$2 digest=$3 name=$4 home=$5 uid=$6
ARCHIVE=@@ARCHIVE@@
MARK=/var/lib/tslima/containerd.digest
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export PATH
say() { echo "tslima: containerd: $*"; }

command -v systemctl >/dev/null 2>&1 || { say "no systemd in the guest"; exit 3; }

if [ "$(cat "$MARK" 2>/dev/null || true)" != "$digest" ]; then
  dev=$(blkid -L cidata 2>/dev/null) || { say "no cidata disk"; exit 4; }
  mkdir -p /run/tslima
  mnt=$(mktemp -d /run/tslima/containerd.XXXXXX)
  trap 'umount "$mnt" 2>/dev/null; rmdir "$mnt"' EXIT
  mount -o ro "$dev" "$mnt"
  say "installing $ARCHIVE ($digest) into /usr/local"
  tar -C /usr/local --no-same-owner -xzf "$mnt/$ARCHIVE"
  umount "$mnt" && rmdir "$mnt" && trap - EXIT
  mkdir -p "${MARK%/*}"
  echo "$digest" >"$MARK"
  systemctl daemon-reload
fi

units=/usr/local/lib/systemd/system
if [ "$system" = 1 ]; then
  if [ ! -e /etc/containerd/config.toml ]; then
    mkdir -p /etc/containerd
    {
      echo 'version = 2'
      echo '[plugins."io.containerd.grpc.v1.cri"]'
      echo '  enable_cdi = true'
      if [ -x /usr/local/bin/containerd-stargz-grpc ]; then
        echo '[proxy_plugins.stargz]'
        echo '  type = "snapshot"'
        echo '  address = "/run/containerd-stargz-grpc/containerd-stargz-grpc.sock"'
      fi
    } >/etc/containerd/config.toml
  fi
  if [ -x /usr/local/bin/buildkitd ] && [ ! -e /etc/buildkit/buildkitd.toml ]; then
    mkdir -p /etc/buildkit
    printf '[worker.oci]\n  enabled = false\n[worker.containerd]\n  enabled = true\n  namespace = "default"\n' >/etc/buildkit/buildkitd.toml
  fi
  for u in containerd buildkit stargz-snapshotter; do
    [ -e "$units/$u.service" ] || continue
    systemctl is-enabled -q "$u" 2>/dev/null && systemctl is-active -q "$u" && continue
    say "enabling $u.service"
    systemctl enable --now "$u"
  done
fi

if [ "$user" = 1 ] && [ ! -e "$home/.config/systemd/user/containerd.service" ]; then
  for p in newuidmap newgidmap; do
    command -v "$p" >/dev/null 2>&1 || { say "containerd.user needs $p (Debian package uidmap) in the guest"; exit 5; }
  done
  for f in /etc/subuid /etc/subgid; do
    grep -q "^$name:" "$f" 2>/dev/null || echo "$name:100000:65536" >>"$f"
  done
  loginctl enable-linger "$name"
  n=0
  until [ -S "/run/user/$uid/systemd/private" ]; do
    n=$((n + 1))
    [ "$n" -le 60 ] || { say "the systemd user instance of $name did not start"; exit 6; }
    sleep 1
  done
  as_user() {
    (cd "$home" && runuser -u "$name" -- env HOME="$home" USER="$name" LOGNAME="$name" PATH="$PATH" XDG_RUNTIME_DIR="/run/user/$uid" "$@")
  }
  say "installing rootless containerd for $name"
  as_user containerd-rootless-setuptool.sh install
  if [ -x /usr/local/bin/buildkitd ]; then as_user containerd-rootless-setuptool.sh install-buildkit-containerd; fi
fi
