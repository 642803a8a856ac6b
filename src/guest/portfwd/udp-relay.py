# tslima's UDP relay, the guest side of a UDP forward (see src/portfwd/udprelay.ts): run as
# `python3 -c THIS IP PORT MAX_CLIENTS CONTROL_ID IDLE_SECONDS`; frames [client id: u16][length: u16]
# [payload] on stdin and stdout, one connected UDP socket to IP:PORT per client id.
import os, select, socket, struct, sys, time
ip, port, maxc, CONTROL_ID, IDLE = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
fam = socket.AF_INET6 if ":" in ip else socket.AF_INET
socks, ids, seen, buf, swept = {}, {}, {}, b"", time.monotonic()
poll = select.poll()
poll.register(0, select.POLLIN)
def out(data):
    while data:
        data = data[os.write(1, data):]
def close(cid):
    sk = socks.pop(cid, None)
    seen.pop(cid, None)
    if sk is not None:
        del ids[sk.fileno()]
        poll.unregister(sk)
        sk.close()
def frames(buf, now):
    # every whole frame in buf (read by offset: no copy per frame); the rest is returned
    i = 0
    while len(buf) - i >= 4:
        cid, n = struct.unpack_from(">HH", buf, i)
        if len(buf) - i - 4 < n:
            break
        data, i = buf[i + 4:i + 4 + n], i + 4 + n
        if cid == CONTROL_ID:
            for (gone,) in struct.iter_unpack(">H", data[:n - n % 2]):
                close(gone)
            continue
        sk = socks.get(cid)
        if sk is None:
            if len(socks) >= maxc:
                continue
            try:
                sk = socket.socket(fam, socket.SOCK_DGRAM)
                sk.setblocking(False)
                sk.connect((ip, port))
            except OSError:
                if sk is not None:
                    sk.close()
                continue
            socks[cid], ids[sk.fileno()] = sk, cid
            poll.register(sk, select.POLLIN)
        seen[cid] = now
        try:
            sk.send(data)
        except OSError:
            pass
    return buf[i:]
while True:
    ready = poll.poll(10000)
    now = time.monotonic()
    for fd, _ in ready:
        if fd == 0:
            d = os.read(0, 65536)
            if not d:
                sys.exit(0)
            buf = frames(buf + d, now)
        elif fd in ids:
            cid = ids[fd]
            try:
                data = socks[cid].recv(65535)
            except OSError:
                continue
            seen[cid] = now
            out(struct.pack(">HH", cid, len(data)) + data)
    if now - swept >= 5:
        swept = now
        for cid in [c for c, t in seen.items() if now - t > IDLE]:
            close(cid)
