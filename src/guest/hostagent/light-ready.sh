# Readiness on a light boot (cloud-init switched off): tslima-boot.service makes the ready file; a unit
# that is missing, failed, or did not run by the end of the boot never will.
READY=@@READY_FILE@@ UNIT=@@UNIT@@
if [ -e "$READY" ]; then echo ready; exit 0; fi
if [ ! -e "$UNIT" ]; then echo light-missing; exit 0; fi
state=$(systemctl show -p ActiveState --value tslima-boot.service 2>/dev/null)
if [ "$state" = failed ]; then echo light-failed; exit 0; fi
case "$state/$(systemctl is-system-running 2>/dev/null)" in inactive/running|inactive/degraded) echo light-skipped;; *) echo waiting;; esac
