/**
 * `tslima doctor mounts`, the pure part, by concern under src/mounts/doctor/: the guest programs with
 * their values (probes.ts; the programs are src/guest/mounts/doctor-*), reading their output
 * (parse.ts), the facts and report types (types.ts), the verdict of every property (verdicts.ts),
 * the advice for each failure (advice.ts) and the table (render.ts). The executor
 * (src/instance/doctor.ts) runs the programs over ssh, looks at the host side with node:fs and hands
 * both to mountReport().
 */
export { CHOWN_TO, DOCTOR_SCRATCH_PREFIX, GUEST_CLEANUP_SCRIPT, GUEST_PROBE_SCRIPT, GUEST_READONLY_SCRIPT, GUEST_REMOUNT_SCRIPT, GUEST_T, HOST_FILE } from "./doctor/probes.js";
export { parseProbeOutput, parseQemuFsdevs, type ProbeLine, type ProbeOutput, type QemuFsdev } from "./doctor/parse.js";
export { CHECKS, CHECK_MEANING, type Check, type CheckName, type DoctorReport, type HostView, type MountFacts, type MountReport, type Status } from "./doctor/types.js";
export { mountReport } from "./doctor/verdicts.js";
export { advice } from "./doctor/advice.js";
export { CHECK_COLUMN, doctorTable } from "./doctor/render.js";
