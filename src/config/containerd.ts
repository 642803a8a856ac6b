import type { Arch, Config, ContainerdArchive } from "./types.js";
import { validateDigest, type Finding } from "./validate-common.js";
import { bool, list, obj, str, type Raw } from "./defaults-entries.js";

/** The name of the archive on the cidata disk, as Lima's. */
export const CONTAINERD_ARCHIVE_NAME = "nerdctl-full.tgz";

/**
 * Lima's builtin containerd.archives (its pkg/limayaml/containerd.yaml): nerdctl-full 2.3.5 from
 * nerdctl's GitHub releases, used when no layer of the config lists any.
 */
export const DEFAULT_CONTAINERD_ARCHIVES: readonly ContainerdArchive[] = [
  {
    location: "https://github.com/containerd/nerdctl/releases/download/v2.3.5/nerdctl-full-2.3.5-linux-amd64.tar.gz",
    arch: "x86_64",
    digest: "sha256:b697295c623639734aaab737523c808fd3cc8d3046039fd94fff1744e4c317aa",
  },
  {
    location: "https://github.com/containerd/nerdctl/releases/download/v2.3.5/nerdctl-full-2.3.5-linux-arm64.tar.gz",
    arch: "aarch64",
    digest: "sha256:6e4b687f1d138e750a3c8372abc0f81d3d7490b6359c48c0562fc7dfe98859b2",
  },
];

/**
 * containerd: system and user default to false (Lima turns user on for Linux guests; see the README:
 * offline and under TCG a default 250 MiB download and rootless setup would slow or spoil every
 * start), archives to Lima's builtin list when none is given, each arch to the config's; plain
 * mode turns both off, as Lima.
 */
export function fillContainerd(raw: unknown, arch: Arch, plain: boolean): Config["containerd"] {
  const cd = obj(raw);
  const given = list(cd.archives).map((x): ContainerdArchive => {
    const a: Raw = obj(x);
    const digest = str(a.digest);
    return { location: str(a.location) ?? "", arch: (str(a.arch) || arch) as Arch, ...(digest ? { digest } : {}) };
  });
  return {
    system: !plain && bool(cd.system, false),
    user: !plain && bool(cd.user, false),
    archives: given.length > 0 ? given : DEFAULT_CONTAINERD_ARCHIVES.map((a) => ({ ...a })),
  };
}

/** Whether the config asks for containerd at all. */
export const wantsContainerd = (config: Pick<Config, "containerd">): boolean => config.containerd.system || config.containerd.user;

/** The archives of the config's arch, in order (the first that can be had is used). */
export function containerdArchives(config: Pick<Config, "containerd" | "arch">): ContainerdArchive[] {
  return config.containerd.archives.filter((a) => a.arch === config.arch);
}

/** containerd.archives, checked only when system or user asks for containerd (as Lima): location, arch, digest. */
export function containerdFindings(config: Config, arches: readonly string[]): Finding[] {
  if (!wantsContainerd(config)) return [];
  const out: Finding[] = [];
  config.containerd.archives.forEach((a, i) => {
    const at = ["containerd", "archives", i];
    if (a.location === "") out.push({ path: [...at, "location"], message: "must be set (an http(s) URL, a file:// URL or a path of a nerdctl-full archive)" });
    else if (/^[a-z][a-z0-9+.-]*:/i.test(a.location) && !/^(https?|file):/i.test(a.location)) {
      out.push({ path: [...at, "location"], message: `must be an http(s) URL, a file:// URL or a path, got "${a.location}"` });
    }
    if (!arches.includes(a.arch)) out.push({ path: [...at, "arch"], message: `must be one of ${arches.map((x) => `"${x}"`).join(", ")}, got "${a.arch}"` });
    validateDigest([...at, "digest"], a.digest, ["sha256", "sha512"], out);
  });
  return out;
}
