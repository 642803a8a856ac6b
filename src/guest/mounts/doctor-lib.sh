# tslima doctor mounts: the functions every probe starts with (prepended by src/mounts/doctor/).
# r KEY COMMAND...: runs COMMAND, prints KEY TAB ok|fail TAB its output (one line, 200 characters).
# skip KEY WHY: prints KEY TAB skip TAB WHY.
r() { k=$1; shift; if o=$("$@" 2>&1); then s=ok; else s=fail; fi; o=$(printf '%s' "$o" | tr '\t\n' '  ' | cut -c1-200); printf '%s\t%s\t%s\n' "$k" "$s" "$o"; }
skip() { printf '%s\tskip\t%s\n' "$1" "$2"; }
