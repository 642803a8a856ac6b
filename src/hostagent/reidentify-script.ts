// The guest program of the `reidentify` readiness step (see reidentify.ts). Pure: the plan holds it.
import { HOSTAGENT_REIDENTIFY_SH } from "../guest/embedded.js";

/**
 * The guest side (as root): `$1` the new machine-id, `$2` the public host key line; the private
 * host key on stdin (src/guest/hostagent/reidentify.sh).
 */
export const REIDENTIFY_SCRIPT = HOSTAGENT_REIDENTIFY_SH;
