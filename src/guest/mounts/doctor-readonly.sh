# A read-only mount (root; sh -s -- FILE): a write must be refused.
r ls ls "$(dirname "$1")"
if o=$(touch "$1" 2>&1); then rm -f "$1"; printf 'rowrite\tok\t\n'; else printf 'rowrite\tfail\t%s\n' "$(printf '%s' "$o" | tr '\t\n' '  ')"; fi
