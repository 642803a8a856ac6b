# The repair of the tslima boot check, run by check.sh as `python3 -c THIS USER_DATA SUDOERS`: what is
# missing or empty of the ssh_keys in the cidata user-data, the ssh_authorized_keys and sudo rule (into
# SUDOERS) of each user, and write_files; each written to a temporary name, fsynced and renamed.
import base64, gzip, os, pwd, sys, yaml
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
if rules and need(sys.argv[2]):
    put(sys.argv[2], ("# written by tslima-check from the cidata" + NL + NL.join(rules) + NL).encode(), 0o440)
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
