/**
 * Lima's `limactl screenshot NAME [-o FILE]`: the guest's screen as QEMU's QMP `screendump` writes
 * it (PNG, or PPM for a .ppm name: QEMU 7.2 has no BMP). Only a VM booted with `video.display: vnc`
 * has a screen; its agent wrote `vncdisplay` then.
 */
import { existsSync, readFileSync, rmSync } from "node:fs";
import { extname, join, resolve } from "node:path";
import { randomBytes } from "node:crypto";
import { TslimaError } from "../errors.js";
import { deviceFiles } from "../qemu/devices.js";
import { QmpClient } from "../qemu/index.js";
import { writeFileAtomic } from "../store/atomic.js";
import { tslimaHome } from "../store/paths.js";
import { inspectStatus } from "../store/status.js";
import { requireInstance } from "./lookup.js";

export interface ScreenshotOptions {
  home?: string;
  /** Where to write it; its extension picks the format (.png or .ppm). Default NAME-screenshot.png in the working directory. */
  output?: string;
}

/** The format QEMU 7.2's screendump writes for a file name. Pure. */
export function screenshotFormat(file: string): "png" | "ppm" {
  const ext = extname(file).toLowerCase();
  if (ext === ".png" || ext === ".ppm") return ext.slice(1) as "png" | "ppm";
  throw new TslimaError("INVALID_FORMAT", `unsupported screenshot extension "${ext}" in ${file}: .png or .ppm`, { hint: "name the output FILE.png (or FILE.ppm) with -o" });
}

/** Takes a screenshot of a running instance with a display; writes it 0600 and returns its absolute path. */
export async function screenshot(name: string, opts: ScreenshotOptions = {}): Promise<string> {
  const home = opts.home ?? tslimaHome();
  const paths = requireInstance(home, name);
  const output = resolve(opts.output ?? `${name}-screenshot.png`);
  const format = screenshotFormat(output);
  const st = inspectStatus(paths);
  if (st.status !== "Running") throw new TslimaError("NOT_RUNNING", `instance ${name} is ${st.status}`, { hint: `start it: tslima start ${name}` });
  if (!existsSync(deviceFiles(paths).vncDisplay)) {
    throw new TslimaError("NO_DISPLAY", `instance ${name} has no display: it was booted without video.display: vnc`, {
      hint: `set video.display: vnc in lima.yaml (tslima edit ${name} --set '.video.display = "vnc"'), then restart it`,
    });
  }
  // QEMU writes into the private instance directory; the result is copied out 0600.
  const tmp = join(paths.dir, `screendump-${randomBytes(6).toString("hex")}.${format}`);
  const qmp = await QmpClient.connect(paths.qmpSock);
  try {
    await qmp.execute("screendump", { filename: tmp, format });
    writeFileAtomic(output, readFileSync(tmp), 0o600);
  } finally {
    qmp.close();
    rmSync(tmp, { force: true });
  }
  return output;
}
