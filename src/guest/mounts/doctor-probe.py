# tslima doctor mounts: fcntl lock, shared mmap write, unix socket, and (a second argument) the user
# xattr when setfattr is missing; run by doctor-probe.sh as `python3 -c THIS DIR [xattr]`.
import os, sys, fcntl, mmap, socket
d = sys.argv[1]
def out(k, ok, detail=""):
    print("%s\t%s\t%s" % (k, "ok" if ok else "fail", str(detail).replace("\t", " ").replace("\n", " ")[:200]))
try:
    fd = os.open(os.path.join(d, "fl"), os.O_RDWR | os.O_CREAT, 0o644)
    fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    fcntl.lockf(fd, fcntl.LOCK_UN)
    os.close(fd)
    out("fcntl", True)
except OSError as e:
    out("fcntl", False, e.strerror)
try:
    p = os.path.join(d, "mm")
    with open(p, "wb") as f:
        f.write(bytes(4096))
    with open(p, "r+b") as f:
        m = mmap.mmap(f.fileno(), 4096, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
        m[0:7] = b"mmap-ok"
        m.flush()
        m.close()
    with open(p, "rb") as f:
        got = f.read(7)
    out("mmap", got == b"mmap-ok", got.decode("ascii", "replace").strip(chr(0)) or "(zeros)")
except (OSError, ValueError) as e:
    out("mmap", False, getattr(e, "strerror", None) or e)
try:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(os.path.join(d, "sock"))
    s.listen(1)
    c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    c.connect(os.path.join(d, "sock"))
    c.close()
    s.close()
    out("socket", True)
except OSError as e:
    out("socket", False, e.strerror)
if len(sys.argv) > 2:
    try:
        p = os.path.join(d, "x")
        open(p, "a").close()
        os.setxattr(p, "user.tslima", b"doctor")
        out("xattr", True, os.getxattr(p, "user.tslima").decode())
    except OSError as e:
        out("xattr", False, e.strerror)
