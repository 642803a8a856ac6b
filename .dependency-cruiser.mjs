// The architecture rules of tslima, checked by `npm run lint` (depcruise). docs/architecture.md explains them.

/**
 * The folders of src/, top to bottom. A folder may import only from folders below it (and from
 * itself); src/errors.ts is below everything, the library entries (ENTRIES: src/index.ts, src/shell.ts)
 * above everything but cli.
 */
export const LAYERS = [
  "cli",
  "instance",
  "hostagent",
  "portfwd",
  "ssh",
  "cidata",
  "qemu",
  "disks",
  "images",
  "mounts",
  "config",
  "store",
  "proc",
];

/**
 * Planners: pure modules that turn a config into data (QEMU argv, cidata files, mount and forward
 * plans). They may not touch the file system, run programs or read the environment (the last is an
 * eslint rule, see eslint.config.js). Paths are relative to the repository root.
 */
export const PLANNERS = [
  "src/qemu/argv.ts",
  "src/disks/plan.ts",
  "src/qemu/options.ts",
  "src/qemu/types.ts",
  "src/mounts/bench.ts",
  "src/mounts/doctor.ts",
  "src/mounts/driver.ts",
  "src/mounts/fstab.ts",
  "src/mounts/inotify.ts",
  "src/mounts/ninep.ts",
  "src/mounts/plan.ts",
  "src/mounts/sshfs.ts",
  "src/mounts/sshfs-helper.ts",
  "src/mounts/sftp-confine.ts",
  "src/mounts/suspend.ts",
  "src/mounts/tag.ts",
  "src/mounts/types.ts",
  "src/mounts/verify.ts",
  "src/mounts/virtiofs.ts",
  "src/hostagent/plan.ts",
  "src/hostagent/readiness-plan.ts",
  "src/hostagent/attach-plan.ts",
  "src/cidata/boot-mode.ts",
  "src/cidata/context.ts",
  "src/cidata/files.ts",
  "src/cidata/iso-fields.ts",
  "src/cidata/iso.ts",
  "src/cidata/network.ts",
  "src/cidata/provision.ts",
  "src/cidata/shell.ts",
  "src/cidata/userdata.ts",
  "src/cidata/scripts/runner.ts",
  "src/cidata/scripts/check.ts",
  "src/hostagent/serial-failures.ts",
  "src/cidata/scripts/sshfs.ts",
  "src/config/ast.ts",
  "src/config/combine.ts",
  "src/config/defaults.ts",
  "src/config/embed.ts",
  "src/config/errors.ts",
  "src/config/gotemplate.ts",
  "src/config/guest.ts",
  "src/config/images.ts",
  "src/config/merge.ts",
  "src/config/output.ts",
  "src/config/positions.ts",
  "src/config/schema.ts",
  "src/config/sets.ts",
  "src/config/sizes.ts",
  "src/config/types.ts",
  "src/config/validate-common.ts",
  "src/config/validate-lists.ts",
  "src/config/validate.ts",
  "src/store/suspend-record.ts",
  "src/portfwd/ip.ts",
  "src/portfwd/plan.ts",
  "src/portfwd/procnet.ts",
  "src/portfwd/rules.ts",
  "src/portfwd/types.ts",
  "src/portfwd/udprelay.ts",
  "src/portfwd/watchscript.ts",
];

/**
 * The library's entry points, the only files of src/ the CLI may import: src/index.ts (the whole
 * API) and the light entries a command imports so it does not evaluate the whole library
 * (src/shell.ts: shell and exec; src/errors.ts: TslimaError; src/version.ts: versions). Each is in
 * package.json "exports".
 */
export const ENTRIES = ["src/index.ts", "src/shell.ts", "src/errors.ts", "src/version.ts"];

/** Entries below everything: every folder may import them, and they import nothing of src. */
const LEAVES = ["src/errors.ts", "src/version.ts"];

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");

/** One rule per layer: its files may not import any folder above it. */
const layerRules = LAYERS.slice(1).map((folder, i) => ({
  name: `layer-${folder}`,
  comment: `src/${folder} may import only folders below it: ${LAYERS.slice(i + 2).join(", ")} (see docs/architecture.md)`,
  severity: "error",
  from: { path: `^src/${folder}/` },
  to: { path: `^src/(${LAYERS.slice(0, i + 1).join("|")})/|^(${ENTRIES.filter((e) => !LEAVES.includes(e)).map(escape).join("|")})$` },
}));

/** @type {import('dependency-cruiser').IConfiguration} */
export default {
  forbidden: [
    {
      name: "no-circular",
      comment: "No import cycles, between folders or files",
      severity: "error",
      from: {},
      to: { circular: true },
    },
    ...layerRules,
    {
      name: "cli-uses-the-library",
      comment: "src/cli is a client of the library: it imports only the library's entry points (ENTRIES: src/index.ts, the light src/shell.ts, src/errors.ts) and its own files",
      severity: "error",
      from: { path: "^src/cli/" },
      to: { path: "^src/", pathNot: `^src/cli/|^(${ENTRIES.map(escape).join("|")})$` },
    },
    {
      name: "errors-is-a-leaf",
      comment: "src/errors.ts and src/version.ts (LEAVES) are the bottom of the stack: they import nothing of src",
      severity: "error",
      from: { path: `^(${LEAVES.map(escape).join("|")})$` },
      to: { path: "^src/" },
    },
    {
      name: "declared-folders-only",
      comment: "Every folder of src/ has a place in the layer order (LAYERS in .dependency-cruiser.mjs)",
      severity: "error",
      from: { path: "^src/", pathNot: `^src/(${LAYERS.join("|")})/|^src/[^/]+\\.ts$` },
      to: {},
    },
    {
      name: "spawn-only-in-proc",
      comment: "Programs run through src/proc (runProgram, startChild): one place for timeouts, kills and errors",
      severity: "error",
      from: { path: "^src/", pathNot: "^src/proc/" },
      to: { path: "^(node:)?child_process$", dependencyTypesNot: ["type-only"] },
    },
    {
      name: "planners-are-pure",
      comment: "Planners compute data; reading files or running programs belongs to their callers",
      severity: "error",
      from: { path: `^(${PLANNERS.map(escape).join("|")})$` },
      to: { dependencyTypes: ["core"], path: "^(node:)?(fs|child_process)(/promises)?$" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "^(dist|node_modules)/" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
  },
};
