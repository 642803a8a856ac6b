# A snapshot's guest made the instance's own (root; sh -c THIS tslima-reidentify MACHINE_ID PUBLIC_KEY_LINE,
# the private ed25519 host key on stdin): see src/hostagent/reidentify.ts.
# set -e: stops at the first failure; trap: a session that drops does not stop it half way
set -e
trap '' HUP PIPE
umask 077
k=/etc/ssh/ssh_host_ed25519_key
cat > "$k.tslima"; test -s "$k.tslima"; mv -f "$k.tslima" "$k"
printf "%s\n" "$2" > "$k.pub"; chmod 644 "$k.pub"
rm -f /etc/ssh/ssh_host_rsa_key /etc/ssh/ssh_host_rsa_key.pub /etc/ssh/ssh_host_ecdsa_key /etc/ssh/ssh_host_ecdsa_key.pub /etc/ssh/ssh_host_dsa_key /etc/ssh/ssh_host_dsa_key.pub
printf "%s\n" "$1" > /etc/machine-id; chmod 444 /etc/machine-id
if [ -f /var/lib/dbus/machine-id ] && [ ! -L /var/lib/dbus/machine-id ]; then ln -sf /etc/machine-id /var/lib/dbus/machine-id; fi
systemctl restart ssh
echo "machine-id $1 and the instance's ssh host key installed"
