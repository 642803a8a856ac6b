# A planned fstab mount missing in the guest (root; sh -c THIS NAME KERNEL_FS MOUNTPOINT): "nokernel" when
# the kernel cannot have the file system, else what a new mount(8) says (and the kernel's last related lines).
if ! grep -qw "$1" /proc/filesystems && ! modprobe -q "$1" 2>/dev/null && ! grep -qw "$1" /proc/filesystems; then echo nokernel; exit 0; fi
out=$(mount "$2" 2>&1 | grep -v "dmesg(1) may have more")
k=$(dmesg 2>/dev/null | grep -iE "9p|virtio.?fs|fuse" | tail -n 2 | sed "s/^\[[ 0-9.]*\] //")
printf "%s" "$out${k:+ (kernel: $k)}" | tr "\n" " "
