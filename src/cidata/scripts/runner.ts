import { GUEST_LIB, PROVISION_LOG, READY_FILE } from "../context.js";
import { CIDATA_LIGHT_BOOT_SERVICE, CIDATA_LIGHT_BOOT_SH, CIDATA_RUNNER_SH } from "../../guest/embedded.js";
import { fillPlaceholders } from "../../proc/quote.js";

/**
 * The guest's per-boot runner (POSIX sh, src/guest/cidata/runner.sh), installed by write_files and started every boot by
 * cloud-init's scripts-per-boot (final stage). It defines the steps; the generated plan.sh calls
 * them in order. Every step is idempotent: it may run on each boot.
 */
export const RUNNER_SH = fillPlaceholders(CIDATA_RUNNER_SH, { GUEST_LIB, READY_FILE, PROVISION_LOG });

/** The systemd unit that does the per-boot work when cloud-init is switched off (see cidata/boot-mode.ts). */
export const LIGHT_BOOT_UNIT_PATH = "/etc/systemd/system/tslima-boot.service";
/** Makes multi-user.target want the unit; a drop-in, because write_files cannot make the .wants symlink. */
export const LIGHT_BOOT_DROPIN_PATH = "/etc/systemd/system/multi-user.target.d/tslima-boot.conf";
/** The unit's program: mode "boot" scripts, then the runner (generated per config by lightBootScript()). */
export const LIGHT_BOOT_SH_PATH = `${GUEST_LIB}/boot.sh`;

/**
 * Runs only when the kernel command line has cloud-init=disabled (a light boot: the cidata is the
 * one this unit was installed from). Ordered and killed like cloud-final, which starts the runner on
 * a full boot: after the network is online, no timeout, processes a provision script leaves running stay.
 */
export const LIGHT_BOOT_UNIT = fillPlaceholders(CIDATA_LIGHT_BOOT_SERVICE, { LIGHT_BOOT_SH: LIGHT_BOOT_SH_PATH });

export const LIGHT_BOOT_DROPIN = `[Unit]
Wants=tslima-boot.service
`;

/**
 * boot.sh (src/guest/cidata/light-boot.sh): on a light boot, what cloud-init would have run: the mode
 * "boot" scripts (its bootcmd; `bootIndices` are their indexes in provision, files under GUEST_LIB/boot), then the runner.
 */
export function lightBootScript(bootIndices: readonly string[]): string {
  return fillPlaceholders(CIDATA_LIGHT_BOOT_SH, { GUEST_LIB, BOOT_INDICES: bootIndices.join(" ") });
}

/** Starts the runner from cloud-init's scripts-per-boot directory. */
export const PER_BOOT_SH = `#!/bin/sh
exec ${GUEST_LIB}/runner.sh
`;

/** Login shells see the instance's env: (ssh sessions run "$SHELL -l -c"). */
export const PROFILE_SH = `# tslima: the instance's env: from lima.yaml
[ -r ${GUEST_LIB}/env.sh ] && . ${GUEST_LIB}/env.sh
`;
