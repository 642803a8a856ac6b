import { GUEST_LIB } from "../context.js";
import { CIDATA_CHECK_REPAIR_PY, CIDATA_CHECK_SERVICE, CIDATA_CHECK_SH } from "../../guest/embedded.js";
import { fillPlaceholders } from "../../proc/quote.js";

/**
 * The boot check (issue 31). A light boot (cloud-init switched off) and a full boot of the same
 * cidata (cloud-init runs its once-per-instance modules only for a new instance-id) rely on files the
 * first full run wrote: the ssh host keys, the user's authorized_keys, its sudoers rule, tslima's
 * scripts and units (write_files). A crash of the VM soon after that run could leave them empty
 * (ext4 writes new files' data back ~30 s later). tslima-check.service runs on every boot before sshd
 * and tslima-boot.service: each file that is missing or empty is written again from the cidata's
 * user-data (the ISO labelled cidata, mounted read-only), and one line per file is appended to
 * CHECK_REPAIRED, which the boot's last readiness step reports as a warning. A healthy boot costs
 * one `test -s` per file: python3 (cloud-init's, with its yaml module) runs only to repair.
 */

/** The lines of this boot's repairs (tmpfs: per boot), readable by the user. */
export const CHECK_REPAIRED = "/run/tslima/repaired";
export const CHECK_SH_PATH = `${GUEST_LIB}/check.sh`;
export const CHECK_UNIT_PATH = "/etc/systemd/system/tslima-check.service";
/** sshd pulls the check in and waits for it (a drop-in: write_files cannot make .wants links). */
export const CHECK_DROPIN_PATH = "/etc/systemd/system/ssh.service.d/tslima-check.conf";
/** Where cloud-init's users module writes the sudo rules. */
export const SUDOERS_PATH = "/etc/sudoers.d/90-cloud-init-users";

export const CHECK_UNIT = fillPlaceholders(CIDATA_CHECK_SERVICE, { CHECK_SH: CHECK_SH_PATH });

export const CHECK_DROPIN = `[Unit]
Wants=tslima-check.service
After=tslima-check.service
`;


/**
 * check.sh (src/guest/cidata/check.sh, its repair check-repair.py): `paths` are the files the check keeps (one a line: no newline in them) (each must exist and not be empty). Repairs, as
 * described above; when a unit was repaired, systemd reloads, and a light boot starts its unit.
 */
export function checkScript(paths: readonly string[]): string {
  return fillPlaceholders(CIDATA_CHECK_SH, { FILES: paths.join("\n"), REPAIRED: CHECK_REPAIRED, SUDOERS: SUDOERS_PATH, REPAIR_PY: CIDATA_CHECK_REPAIR_PY });
}
