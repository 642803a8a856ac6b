# Before a suspend (root; sh -c THIS tslima-unmount MOUNTPOINT...): sync, then unmount each in order,
# never lazily: "unmounted TAB MP" each; at the first failure "failed TAB MP TAB MESSAGE" and exit 3.
sync
for mp in "$@"; do
  mountpoint -q "$mp" || continue
  if out=$(umount "$mp" 2>&1); then printf 'unmounted\t%s\n' "$mp"
  else printf 'failed\t%s\t%s\n' "$mp" "$(printf '%s' "$out" | tr '\n\t' '  ')"; exit 3; fi
done
exit 0
