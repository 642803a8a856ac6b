# A resumed guest's clock and name (root; sh -c THIS tslima-identity SECONDS HOSTNAME): the host's
# time; a new name goes to the kernel, /etc/hostname and /etc/hosts (sed twice: "lima-a lima-a" shares a blank).
date -u -s "@$1" >/dev/null || exit 1
old=$(hostname); [ "$old" = "$2" ] && exit 0
hostname "$2" && echo "$2" > /etc/hostname || exit 1
e="s/\(^\|[[:space:]]\)$(printf %s "$old" | sed "s/[.]/[.]/g")\([[:space:]]\|$\)/\1$2\2/g"; sed -i -e "$e" -e "$e" /etc/hosts
echo "hostname: $old -> $2"
