import { statSync } from "node:fs";
import { TslimaError } from "../errors.js";
import { readAppended } from "../store/follow.js";
import { serialFailure, serialFailureHint } from "./serial-failures.js";

/** At most this much of the console is kept (the end of it). */
const KEEP_BYTES = 1 << 20;
/** sshd's unit is restarted by systemd after a failure: it must still be failed this long after. */
const SSHD_SETTLE_MS = 3000;

/**
 * Follows serial.log of one QEMU run (QEMU truncates it when it starts) and throws when the guest's
 * console shows a boot that cannot succeed (serial-failures.ts). `check()` is called before each
 * attempt of the boot's waits (the agent's interrupt), so a failure is reported within seconds.
 */
export class SerialWatch {
  private offset = 0;
  private text = "";
  private sshdSince: number | undefined;

  constructor(private readonly path: string, private readonly name: string, private readonly now: () => number = Date.now) {}

  /** Throws a GUEST_* TslimaError with the console's lines when the boot has failed. */
  check(): void {
    this.read();
    const f = serialFailure(this.text);
    if (f === undefined) {
      this.sshdSince = undefined;
      return;
    }
    if (f.code === "GUEST_SSHD_FAILED") {
      this.sshdSince ??= this.now();
      if (this.now() - this.sshdSince < SSHD_SETTLE_MS) return;
    }
    throw new TslimaError(f.code, `${f.what}; serial.log says:\n${f.lines.map((l) => `  ${l}`).join("\n")}`, { hint: serialFailureHint(f.code, this.name) });
  }

  private read(): void {
    // a new QEMU run truncated it: start over
    if (this.offset > 0 && fileSize(this.path) < this.offset) {
      this.offset = 0;
      this.text = "";
    }
    const { data, offset } = readAppended(this.path, this.offset);
    this.offset = offset;
    this.text += data.toString("utf8");
    if (this.text.length > KEEP_BYTES) this.text = this.text.slice(-KEEP_BYTES);
  }
}

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}
