# Installs the reverse-sshfs helper (its text on stdin) as HELPER and adds the keys given as arguments
# to the allow list ALLOW, as root.
HELPER=@@HELPER@@ ALLOW=@@ALLOW@@
set -e
mkdir -p "${HELPER%/*}"
cat > "$HELPER.new"
chmod 755 "$HELPER.new"
mv "$HELPER.new" "$HELPER"
touch "$ALLOW"
for k; do grep -qx "$k" "$ALLOW" || echo "$k" >> "$ALLOW"; done
chmod 644 "$ALLOW"
