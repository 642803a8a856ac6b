# The user-v2 NICs up with their own MAC and a DHCP address (root; sh -c THIS tslima-networks IF MAC [IF MAC...]).
# A guest resumed from another instance's booted snapshot has that instance's MAC on the NIC: it gets
# this one's, and DHCP starts over (the switch leases by instance). Prints "IF ADDRESS" per NIC;
# waits up to 60 s for the addresses; exit 1 names the NIC that has none.
changed=""
n=$(($# / 2))
while [ "$n" -gt 0 ]; do
  n=$((n - 1)); if=$1; mac=$2; shift 2
  if [ ! -e "/sys/class/net/$if" ]; then echo "no interface $if in the guest" >&2; exit 1; fi
  if [ "$(cat "/sys/class/net/$if/address")" != "$mac" ]; then
    ip link set dev "$if" down && ip link set dev "$if" address "$mac" && ip link set dev "$if" up || exit 1
    ip -4 addr flush dev "$if"
    changed="$changed $if"
  fi
  set -- "$@" "$if"
done
# the first boot wrote tslima's networkd files after networkd started: load them (cheap when nothing
# changed). A guest without networkd (NetworkManager, ifupdown) runs DHCP on the NIC its own way.
if command -v networkctl >/dev/null 2>&1; then
  networkctl reload
  for if in "$@"; do
    case " $changed " in *" $if "*) networkctl reconfigure "$if" ;; esac
    if [ -z "$(ip -4 -o addr show dev "$if")" ]; then networkctl reconfigure "$if"; fi
  done
fi
for if in "$@"; do
  i=0
  while a=$(ip -4 -o addr show dev "$if" | awk '{print $4; exit}'); [ -z "$a" ]; do
    i=$((i + 1)); [ "$i" -gt 120 ] && { echo "$if has no IPv4 address after 60 s" >&2; exit 1; }
    sleep 0.5
  done
  echo "$if $a"
done
resolvectl flush-caches 2>/dev/null || true
