# Removes the doctor's scratch directory in the guest (sh -s -- DIR), as whoever runs it.
PREFIX=@@PREFIX@@
case "$1" in */"$PREFIX"*) rm -rf "$1" ;; esac
