# The guest's resolver pointed at the host agent's DNS server (root; sh -c THIS tslima-host-resolver HOST_IP PORT):
# a systemd-resolved drop-in making HOST_IP:PORT the server for every name (~.); the user-mode NIC's own
# DNS (QEMU's, 192.168.5.3) stays as a link server, unused. Restarts resolved only when the drop-in
# changes (first boot, a new port, a guest resumed from another instance's snapshot). Prints what it did.
# Run as the user first (no sudo: cheaper under TCG), it exits 3 when there is something to change as root.
d=/etc/systemd/resolved.conf.d
f=$d/tslima-host-resolver.conf
want=$(printf '[Resolve]\nDNS=%s:%s\nDomains=~.' "$1" "$2")
if [ -f "$f" ] && [ "$(cat "$f")" = "$want" ]; then exit 0; fi
if ! command -v resolvectl >/dev/null 2>&1; then echo "no systemd-resolved in the guest: it keeps QEMU's DNS"; exit 0; fi
[ "$(id -u)" = 0 ] || exit 3
mkdir -p "$d" && printf '%s\n' "$want" > "$f.tmp" && mv -f "$f.tmp" "$f" || exit 1
systemctl try-restart systemd-resolved || exit 1
echo "host resolver: $1:$2"
