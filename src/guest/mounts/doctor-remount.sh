# After a guest umount + mount (root; sh -s -- MOUNTPOINT FILE): does the owner survive?
MP="$1"; F="$2"
if o=$(umount "$MP" 2>&1); then
  if o=$(mount "$MP" 2>&1); then printf 'remount\tok\t\n'; r owner2 stat -c %u:%g "$F"
  else printf 'remount\tfail\tmount: %s\n' "$(printf '%s' "$o" | tr '\t\n' '  ')"; fi
else
  case "$o" in *busy*) printf 'remount\tskip\tbusy\n' ;; *) printf 'remount\tfail\tumount: %s\n' "$(printf '%s' "$o" | tr '\t\n' '  ')" ;; esac
fi
