# The guest's resolver pointed at the host agent's DNS server (root; sh -c THIS tslima-host-resolver FILE TEXT):
# the systemd-resolved drop-in FILE (cidata/host-resolver.ts) made TEXT, and resolved restarted, when it
# differs (a new port, a guest resumed from another instance's snapshot). Prints what it did.
if [ -f "$1" ] && [ "$(cat "$1")" = "$2" ]; then exit 0; fi
if ! command -v resolvectl >/dev/null 2>&1; then echo "no systemd-resolved in the guest: it keeps QEMU's DNS"; exit 0; fi
mkdir -p "$(dirname "$1")" && printf '%s\n' "$2" > "$1.tmp" && mv -f "$1.tmp" "$1" || exit 1
systemctl try-restart systemd-resolved || exit 1
echo "host resolver: $(sed -n 's/^DNS=//p' "$1")"
