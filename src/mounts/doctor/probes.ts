/**
 * `tslima doctor mounts`: the guest programs (src/guest/mounts/doctor-*) with their values filled
 * in, and the names and values the host and the guest agree on. The executor (src/instance/doctor.ts)
 * runs each as `sh -s -- ARGS` with the program on stdin. Pure.
 */
import { MOUNTS_DOCTOR_CLEANUP_SH, MOUNTS_DOCTOR_LIB_SH, MOUNTS_DOCTOR_PROBE_PL, MOUNTS_DOCTOR_PROBE_PY, MOUNTS_DOCTOR_PROBE_SH, MOUNTS_DOCTOR_READONLY_SH, MOUNTS_DOCTOR_REMOUNT_SH } from "../../guest/embedded.js";
import { fillPlaceholders } from "../../proc/quote.js";

/** The scratch directory made inside each writable mount (removed afterwards): `<location>/<prefix><id>`. */
export const DOCTOR_SCRATCH_PREFIX = ".tslima-doctor-";

/** What the host puts into the scratch directory before the guest probes run. */
export const HOST_FILE = { name: "host.txt", content: "from-host\n", mode: 0o755, mtime: 1500000000, link: "host-link" } as const;
/** What the guest writes: `t` with GUEST_T.content and mtime GUEST_T.mtime. */
export const GUEST_T = { content: "12345", mtime: 1600000000 } as const;
/** The owner root gives a file in the guest. */
export const CHOWN_TO = "1234:2345";

/** The probe of one role (sh -s -- DIR ROLE): doctor-probe.sh, which runs doctor-probe.py or, without python3, doctor-probe.pl. */
export const GUEST_PROBE_SCRIPT = MOUNTS_DOCTOR_LIB_SH + fillPlaceholders(MOUNTS_DOCTOR_PROBE_SH, {
  HOST_FILE: HOST_FILE.name,
  HOST_LINK: HOST_FILE.link,
  CHOWN_TO,
  T_CONTENT: GUEST_T.content,
  T_MTIME: String(GUEST_T.mtime),
  PROBE_PY: MOUNTS_DOCTOR_PROBE_PY,
  PROBE_PL: MOUNTS_DOCTOR_PROBE_PL,
});

/** After a guest umount + mount (root; sh -s -- MOUNTPOINT FILE): does the owner survive? */
export const GUEST_REMOUNT_SCRIPT = MOUNTS_DOCTOR_LIB_SH + MOUNTS_DOCTOR_REMOUNT_SH;

/** A read-only mount (root; sh -s -- FILE): a write must be refused. */
export const GUEST_READONLY_SCRIPT = MOUNTS_DOCTOR_LIB_SH + MOUNTS_DOCTOR_READONLY_SH;

/** Removes the scratch directory in the guest (sh -s -- DIR), as whoever runs it. */
export const GUEST_CLEANUP_SCRIPT = fillPlaceholders(MOUNTS_DOCTOR_CLEANUP_SH, { PREFIX: DOCTOR_SCRATCH_PREFIX });
