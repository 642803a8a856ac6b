import { readFile, access } from "node:fs/promises";
import type { Arch } from "../../config/types.js";
import { TslimaError } from "../../errors.js";
import type { BuildLog } from "./run.js";
import { run } from "./run.js";

const BINFMT_DIR = "/proc/sys/fs/binfmt_misc";

/** binfmt_misc's entry names (Debian's qemu-user-static) per guest arch. */
const BINFMT_ENTRY: Partial<Record<Arch, string>> = { aarch64: "qemu-aarch64", x86_64: "qemu-x86_64" };

/** Pure: whether a binfmt_misc entry's text says it is enabled and opens the interpreter early (F flag). */
export function binfmtUsable(entry: string): boolean {
  const lines = entry.split("\n");
  const flags = lines.find((l) => l.startsWith("flags:"))?.slice("flags:".length).trim() ?? "";
  return lines[0]?.trim() === "enabled" && flags.includes("F");
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/**
 * Makes the kernel run `arch` programs through QEMU's user-mode emulator: mounts binfmt_misc when it
 * is not mounted and enables Debian's qemu-user-static entry. The entry must have the F (fix-binary)
 * flag, so the emulator opened on the host also runs programs inside the chroot (no copy of it in the
 * guest tree).
 */
export async function ensureBinfmt(log: BuildLog, arch: Arch): Promise<void> {
  const name = BINFMT_ENTRY[arch];
  if (!name) throw new TslimaError("IMAGE_BUILD_ARCH", `no user-mode emulator known for ${arch}`);
  if (!(await exists(`${BINFMT_DIR}/register`))) {
    await run(log, ["mount", "-t", "binfmt_misc", "binfmt_misc", BINFMT_DIR]).catch(() => undefined);
  }
  const entry = `${BINFMT_DIR}/${name}`;
  if (!(await exists(entry))) await run(log, ["update-binfmts", "--enable", name]).catch(() => undefined);
  const text = await readFile(entry, "utf8").catch(() => "");
  if (!binfmtUsable(text)) {
    throw new TslimaError(
      "IMAGE_BUILD_BINFMT",
      text === ""
        ? `building a ${arch} guest here needs binfmt_misc's ${name} entry, and ${entry} does not exist`
        : `${entry} is disabled or lacks the F (fix-binary) flag`,
      {
        hint:
          `install qemu-user-static and binfmt-support, then \`mount -t binfmt_misc binfmt_misc ${BINFMT_DIR}\` ` +
          `and \`update-binfmts --enable ${name}\` (in a container: on the host)`,
      },
    );
  }
}
