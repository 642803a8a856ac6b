# tslima bench mounts, as root in the guest (sh -s -- DIR MB FILES TREE DROP): each workload in the
# scratch directory DIR/.tslima-bench-PID, printing WORKLOAD COUNT NANOSECONDS (see src/mounts/bench.ts).
set -u
base=$1; mb=$2; n=$3; tree=$4; dropcaches=0; if [ $# -ge 5 ]; then dropcaches=$5; fi
d="$base/.tslima-bench-$$"
now() { date +%s%N; }
drop() { sync; if [ "$dropcaches" = 1 ]; then echo 3 >/proc/sys/vm/drop_caches 2>/dev/null || true; fi; }
out() { echo "$1 $2 $(( $(now) - t0 ))"; }
trap 'rm -rf "$d"' EXIT
mkdir -p "$d/s" "$d/t" || { echo "setup fail cannot create $d"; exit 0; }
t0=$(now); if dd if=/dev/zero of="$d/seq" bs=1M count="$mb" conv=fsync status=none 2>/dev/null; then out seqWrite "$mb"; else echo "seqWrite fail dd"; fi
drop
t0=$(now); if dd if="$d/seq" of=/dev/null bs=1M status=none 2>/dev/null; then out seqRead "$mb"; else echo "seqRead fail dd"; fi
rm -f "$d/seq"
t0=$(now); i=0; while [ $i -lt "$n" ]; do echo "file $i" >"$d/s/f$i" || break; i=$((i + 1)); done; out create "$i"
drop
t0=$(now); find "$d/s" -type f -exec stat -c %s {} + >/dev/null; out stat "$n"
t0=$(now); find "$d/s" -type f -exec cat {} + >/dev/null; out read "$n"
t0=$(now); rm -rf "$d/s"; out delete "$n"
i=0; while [ $i -lt "$tree" ]; do k=$((i / 30)); [ -d "$d/t/d$k" ] || mkdir "$d/t/d$k"; echo "$i" >"$d/t/d$k/f$i"; i=$((i + 1)); done
touch -d '1 hour ago' "$d/ref"
drop
t0=$(now); find "$d/t" -newer "$d/ref" -type f >/dev/null; find "$d/t" -type f -exec stat -c '%Y %s %i' {} + >/dev/null; out walk "$tree"
