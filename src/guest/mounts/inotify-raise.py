# mountInotify's guest program (see src/mounts/inotify.ts for what it does and why), run as
# `python3 -c THIS PREFIX MAX_WATCHES MAX_RECORDS RECORD_AGE_S SETTLE_S MOUNT_POINT...`: paths on stdin, each
# ended by a NUL; one JSON status line (GuestEchoStats) on stdout when its counters changed, at most
# every 0.25 s. PREFIX: the name prefix of its short-lived hard links. SETTLE_S: at most how long the
# paths to raise wait for guest events still on their way (settle).
import ctypes, errno, json, os, select, stat, struct, sys, time
X, P = b"user.tslima.inotify", os.fsencode(sys.argv[1])
L = P + os.urandom(4).hex().encode() + b"-"
MAXW, MAXR, AGE, SETTLE = int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
MODIFY, ATTRIB, CLOSE_WRITE, OPEN, MOVED_FROM, MOVED_TO, CREATE, DELETE = 0x2, 0x4, 0x8, 0x20, 0x40, 0x80, 0x100, 0x200
UNMOUNT, OVERFLOW, IGNORED, ISDIR, ONLYDIR, DONT_FOLLOW = 0x2000, 0x4000, 0x8000, 0x40000000, 0x1000000, 0x2000000
WATCH = MODIFY | ATTRIB | CLOSE_WRITE | MOVED_FROM | MOVED_TO | CREATE | DELETE | ONLYDIR | DONT_FOLLOW
libc = ctypes.CDLL(None, use_errno=True)
try:
    fd = libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
except AttributeError:
    fd = -1
statx = getattr(libc, "statx", None)
sbuf = ctypes.create_string_buffer(256)
roots = [os.fsencode(r).rstrip(b"/") for r in sys.argv[6:]] if fd >= 0 else []
wds, todo, records, rootwds, rootdevs = {}, [r for r in roots if r], {}, {}, {}
st = {"recording": fd >= 0, "watches": 0, "capped": False, "walking": bool(todo), "lines": 0, "raised": 0, "skipped": 0, "late": 0, "gone": 0, "noted": 0, "records": 0, "overflows": 0}

def ident(p):
    # What p is now (None: gone), its attributes fetched afresh where the file system can (statx with
    # AT_STATX_FORCE_SYNC: FUSE's attribute cache is bypassed): mode, inode, size, ctime and mtime.
    global statx
    if statx is not None:
        if statx(-100, p, 0x2100, 0x7FF, sbuf) == 0:
            b = sbuf.raw
            return b[28:30] + b[32:48] + b[96:108] + b[112:124]
        if ctypes.get_errno() not in (errno.ENOSYS, errno.EINVAL):
            return None
        statx = None
    try:
        s = os.lstat(p)
    except OSError:
        return None
    return (s.st_mode, s.st_ino, s.st_size, s.st_ctime_ns, s.st_mtime_ns)

def record(p, now):
    k = ident(p)
    records.pop(p, None)
    if k is not None:
        records[p] = (k, now)
    while records:
        oldest = next(iter(records))
        if len(records) <= MAXR and now - records[oldest][1] <= AGE:
            break
        del records[oldest]

def events():
    out = []
    while fd >= 0:
        try:
            b = os.read(fd, 65536)
        except OSError:
            break
        i = 0
        while i < len(b):
            wd, mask, _, n = struct.unpack_from("iIII", b, i)
            name = b[i + 16:i + 16 + n].rstrip(b"\0")
            i += 16 + n
            if mask & OVERFLOW:
                st["overflows"] += 1
            elif mask & IGNORED:
                wds.pop(wd, None)
            elif mask & UNMOUNT:
                pass
            elif wd in wds and not name.startswith(P):
                d = wds[wd]
                out.append((mask & ~ISDIR, mask & ISDIR, d + b"/" + name if name else d, d if name else None))
    return out

def note(evs, own=None):
    # The guest's own changes: the path's identity now is recorded, and for an entry made, removed or
    # renamed, its directory's too. Own operations on the path being raised are not guest changes.
    changed = {}
    for kind, isdir, p, d in evs:
        if p == own and kind in (ATTRIB, OPEN, CLOSE_WRITE):
            continue
        if isdir and kind in (CREATE, MOVED_TO):
            todo.append(p)
        changed[p] = 1
        if d is not None and kind in (CREATE, DELETE, MOVED_FROM, MOVED_TO):
            changed[d] = 1
    now = time.monotonic()
    for p in changed:
        record(p, now)
    st["noted"] += len(changed)

def walk(n):
    while todo and n > 0:
        n -= 1
        d = todo.pop(0)
        if len(wds) >= MAXW:
            st["capped"] = True
            todo.clear()
            break
        wd = libc.inotify_add_watch(fd, d, WATCH)
        if wd < 0:
            if ctypes.get_errno() == errno.ENOSPC:
                st["capped"] = True
                todo.clear()
            continue
        wds[wd] = d
        if d in roots:
            rootwds[d] = wd
            try:
                rootdevs[d] = os.stat(d).st_dev
            except OSError:
                pass
        try:
            with os.scandir(d) as it:
                todo.extend(e.path for e in it if e.is_dir(follow_symlinks=False))
        except OSError:
            pass

def remounted():
    # A mount unmounted (its watches end with IN_IGNORED) and mounted again, or mounted over the
    # directory watched, is walked again.
    for r in roots:
        if not r or r in todo:
            continue
        try:
            dev, up = os.stat(r).st_dev, os.stat(os.path.dirname(r)).st_dev
        except OSError:
            continue
        wd = rootwds.get(r)
        if wd in wds and rootdevs.get(r) != dev:
            libc.inotify_rm_watch(fd, wd)
            todo.append(r)
        elif wd not in wds and dev != up:
            todo.append(r)

def touch(p, mode):
    global n
    try:
        os.setxattr(p, X, b"1", follow_symlinks=False)
        os.removexattr(p, X, follow_symlinks=False)
        attrib = True
    except OSError:
        attrib = False
    if not stat.S_ISREG(mode):
        return
    if not attrib:
        n += 1
        t = os.path.join(os.path.dirname(p), L + str(n).encode())
        try:
            os.link(p, t, follow_symlinks=False)
            os.unlink(t)
        except OSError:
            pass
    try:
        os.close(os.open(p, os.O_WRONLY | os.O_APPEND | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_NOCTTY))
    except OSError:
        pass

def to_raise(p, late):
    # True when p is to be raised; else counts it: gone, or the echo of a recorded guest change.
    k = ident(p)
    if k is None:
        st["gone"] += 1
        return False
    r = records.get(p)
    if r is not None and r[0] == k and time.monotonic() - r[1] <= AGE:
        st["skipped"] += 1
        st["late"] += late
        return False
    return True

def settle():
    # A guest change reaches the host before the guest kernel queues its event: the writer is woken
    # by the reply and queues it when it runs again. By now that reply has come (the mount answers in
    # order, and ident() asked it after the host saw the change), so the writer is runnable: let it
    # run until nothing else in the guest is (/proc/loadavg), at most SETTLE seconds.
    end = time.monotonic() + SETTLE
    while time.monotonic() < end:
        try:
            with open("/proc/loadavg", "rb") as f:
                if int(f.read().split()[3].split(b"/")[0]) <= 1:
                    return
        except (OSError, ValueError, IndexError):
            pass
        time.sleep(0.005)

def batch(paths):
    st["lines"] += len(paths)
    note(events())
    held = [p for p in paths if to_raise(p, 0)]
    if held:
        settle()
        note(events())
        for p in held:
            if to_raise(p, 1):
                raise_(p)

def raise_(p):
    try:
        mode = os.lstat(p).st_mode
    except OSError:
        return
    if stat.S_ISLNK(mode):
        return
    touch(p, mode)
    st["raised"] += 1
    note(events(), own=p)

n, rest, said, saidAt, checkedAt = 0, b"", None, 0.0, time.monotonic()
while True:
    if time.monotonic() - checkedAt >= 5:
        remounted()
        checkedAt = time.monotonic()
    walk(64)
    st["walking"], st["watches"], st["records"] = bool(todo), len(wds), len(records)
    now = time.monotonic()
    if st != said and now - saidAt >= 0.25:
        sys.stdout.write(json.dumps(st) + "\n")
        sys.stdout.flush()
        said, saidAt = dict(st), now
    wait = 0 if todo else (5 if st == said else max(0.0, saidAt + 0.25 - now))
    ready, _, _ = select.select([0] + ([fd] if fd >= 0 else []), [], [], wait)
    if fd in ready:
        note(events())
    if 0 in ready:
        chunk = os.read(0, 65536)
        if not chunk:
            break
        lines = (rest + chunk).split(b"\0")
        rest = lines.pop()
        batch([p for p in lines if p])
