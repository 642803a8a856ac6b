import { GUEST_LIB } from "../context.js";
import { shQuote } from "../shell.js";

/**
 * The boot check (issue 31). A light boot (cloud-init switched off) and a full boot of the same
 * cidata (cloud-init runs its once-per-instance modules only for a new instance-id) rely on files the
 * first full run wrote: the ssh host keys, the user's authorized_keys, its sudoers rule, tslima's
 * scripts and units (write_files). A crash of the VM soon after that run could leave them empty
 * (ext4 writes new files' data back ~30 s later). tslima-check.service runs on every boot before sshd
 * and tslima-boot.service: each file that is missing or empty is written again from the cidata's
 * user-data (the ISO labelled cidata, mounted read-only), and one line per file is appended to
 * CHECK_REPAIRED, which the boot's last readiness step reports as a warning. A healthy boot costs
 * one `test -s` per file: python3 (cloud-init's, with its yaml module) runs only to repair.
 */

/** The lines of this boot's repairs (tmpfs: per boot), readable by the user. */
export const CHECK_REPAIRED = "/run/tslima/repaired";
export const CHECK_SH_PATH = `${GUEST_LIB}/check.sh`;
export const CHECK_UNIT_PATH = "/etc/systemd/system/tslima-check.service";
/** sshd pulls the check in and waits for it (a drop-in: write_files cannot make .wants links). */
export const CHECK_DROPIN_PATH = "/etc/systemd/system/ssh.service.d/tslima-check.conf";
/** Where cloud-init's users module writes the sudo rules. */
export const SUDOERS_PATH = "/etc/sudoers.d/90-cloud-init-users";

export const CHECK_UNIT = `[Unit]
Description=tslima: repair what cloud-init wrote (host keys, authorized_keys, sudoers, tslima's files) from the cidata
After=local-fs.target cloud-init.service
Before=ssh.service tslima-boot.service cloud-final.service

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=${CHECK_SH_PATH}
StandardOutput=journal+console
`;

export const CHECK_DROPIN = `[Unit]
Wants=tslima-check.service
After=tslima-check.service
`;

/**
 * The repair, from user-data (argv[1]): ssh_keys, each user's ssh_authorized_keys and sudo rule,
 * write_files; only what is missing or empty, each written to a temporary name, fsynced and renamed.
 */
const REPAIR_PY = `import base64, gzip, os, pwd, sys, yaml
ud = yaml.safe_load(open(sys.argv[1], "rb")) or {}
NL = chr(10)
def need(p):
    return not os.path.isfile(p) or os.path.getsize(p) == 0
def put(p, data, mode, uid=0, gid=0):
    d = os.path.dirname(p)
    os.makedirs(d, exist_ok=True)
    tmp = p + ".tslima-check"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    os.write(fd, data)
    os.fchown(fd, uid, gid)
    os.fchmod(fd, mode)
    os.fsync(fd)
    os.close(fd)
    os.rename(tmp, p)
    dfd = os.open(d, os.O_RDONLY)
    os.fsync(dfd)
    os.close(dfd)
    print("tslima-check: " + p + " was missing or empty after a crash; repaired from the cidata")
keys = ud.get("ssh_keys") or {}
for t in ("ed25519", "ecdsa", "rsa"):
    base = "/etc/ssh/ssh_host_" + t + "_key"
    for k, p, m in ((t + "_private", base, 0o600), (t + "_public", base + ".pub", 0o644)):
        if keys.get(k) and need(p):
            put(p, (keys[k].strip() + NL).encode(), m)
rules = []
for u in ud.get("users") or []:
    if not isinstance(u, dict) or "name" not in u:
        continue
    if u.get("sudo"):
        rules.append(u["name"] + " " + u["sudo"])
    ak = [k.strip() for k in u.get("ssh_authorized_keys") or [] if k.strip()]
    if not ak:
        continue
    try:
        pw = pwd.getpwnam(u["name"])
    except KeyError:
        print("tslima-check: user " + u["name"] + " is missing: a new instance (tslima factory-reset) is needed")
        continue
    p = os.path.join(u.get("homedir") or pw.pw_dir, ".ssh", "authorized_keys")
    if need(p):
        os.makedirs(os.path.dirname(p), mode=0o700, exist_ok=True)
        os.chown(os.path.dirname(p), pw.pw_uid, pw.pw_gid)
        put(p, NL.join(ak).encode() + NL.encode(), 0o600, pw.pw_uid, pw.pw_gid)
if rules and need("${SUDOERS_PATH}"):
    put("${SUDOERS_PATH}", ("# written by tslima-check from the cidata" + NL + NL.join(rules) + NL).encode(), 0o440)
for f in ud.get("write_files") or []:
    p, c, enc = f.get("path"), f.get("content") or "", f.get("encoding") or ""
    if not p or not c or not need(p):
        continue
    data = c.encode()
    if "b64" in enc or "base64" in enc:
        data = base64.b64decode(data)
    if "gz" in enc:
        data = gzip.decompress(data)
    put(p, data, int(str(f.get("permissions") or "0644"), 8))
`;

/**
 * check.sh: `paths` are the files the check keeps (each must exist and not be empty). Repairs, as
 * described above; when a unit was repaired, systemd reloads, and a light boot starts its unit.
 */
export function checkScript(paths: readonly string[]): string {
  return `#!/bin/sh
# tslima boot check: before sshd, the files cloud-init wrote must not be empty. Written by tslima; do not edit.
set -u
broken=""
for f in ${paths.map(shQuote).join(" ")}; do
  [ -s "$f" ] || broken="$broken $f"
done
[ -n "$broken" ] || exit 0
mkdir -p /run/tslima
echo "tslima-check: missing or empty:$broken; repairing from the cidata"
dev=""
for i in 1 2 3 4 5 6 7 8 9 10; do
  dev=$(blkid -L cidata 2>/dev/null) && [ -n "$dev" ] && break
  dev=""
  sleep 1
done
mnt=/run/tslima/cidata
if [ -z "$dev" ] || ! mkdir -p "$mnt" || ! mount -o ro "$dev" "$mnt"; then
  echo "tslima-check: cannot read the cidata to repair$broken" | tee -a ${CHECK_REPAIRED}
  exit 0
fi
python3 - "$mnt/user-data" <<'EOF' 2>&1 | tee -a ${CHECK_REPAIRED}
${REPAIR_PY}EOF
umount "$mnt"
case $broken in
  *.service*|*.conf*)
    systemctl daemon-reload
    if grep -qw cloud-init=disabled /proc/cmdline; then systemctl start --no-block tslima-boot.service; fi ;;
esac
exit 0
`;
}
