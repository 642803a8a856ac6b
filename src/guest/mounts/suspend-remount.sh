# After a resume (root; sh -c THIS tslima-remount MOUNTPOINT...): mounts each from the guest's fstab
# again unless it is mounted; exit 1 when one fails.
rc=0
for mp in "$@"; do
  mountpoint -q "$mp" || mount "$mp" || rc=1
done
exit "$rc"
