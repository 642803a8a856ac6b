// The architecture rules of tslima, checked by `npm run lint` (depcruise). docs/architecture.md explains them.

/**
 * The folders of src/, top to bottom. A folder may import only from folders below it (and from
 * itself); src/errors.ts is below everything, the library entries (ENTRIES: src/index.ts, src/shell.ts)
 * above everything but cli.
 *
 * Purity is declared per folder: `pure: true` makes every file of the folder pure but those in
 * `except` (paths under the folder); `pure: false` makes every file impure but the pure ones in
 * `except`. Pure code turns data into data (QEMU argv, cidata files, mount and forward plans, Lima's
 * YAML): it may not import node:fs, node:child_process, node:os and the other host modules, nor
 * node:net but for isIP (eslint.config.js), nor read process.env, process.cwd() and the like (eslint),
 * and imports only pure files of src/ (types aside). Its callers pass in what they need.
 * `holds` is what the folder is for; docs/architecture.md's Layers table is generated from this list
 * (`node scripts/gen-layers.js --write`; `npm run lint` fails when the table is stale).
 */
export const LAYERS = [
  {
    folder: "cli",
    holds: "one file per command (commander), output formatting; `commands.ts` the table of commands, each file imported only when its command runs. Imports only the library entries, and the library lazily (`await import(\"../internal.js\")` in an action); flags become the library's typed objects in `overrides.ts`",
    pure: false,
    except: ["shell-argv.ts", "completion-script.ts", "duration.ts"],
  },
  {
    folder: "mcp",
    holds: "`mcp serve` and `mcp info`: the MCP server (the protocol's SDK) whose tools run in an instance, a session (`session.ts`) served over stdio (`server.ts`) or streamable HTTP (`http.ts`): Lima's six (`tools.ts`, their schemas `schemas.ts`), path translation between host and guest (`paths.ts`), `glob` over SFTP (`glob.ts`, its patterns `glob-match.ts`), the sandbox and its SFTP session (`sandbox.ts`), `--from` sandboxes (`ephemeral.ts`) and their undo tools (`undo.ts`)",
    pure: false,
    except: ["paths.ts", "glob-match.ts", "glob.ts", "schemas.ts", "shell-result.ts", "file-mode.ts", "lenient.ts"],
  },
  {
    folder: "instance",
    holds: "the lifecycle: create, start, stop, delete, shell/exec, copy; `api.ts` the `Instance`/`RunningInstance` objects; `inventory.ts` lists instances and loads their config; `doctor.ts` and `bench.ts` run `doctor mounts` and `bench mounts`; `suspend.ts`, `snapshot.ts` ask the agent through `agent-request.ts`; `from-snapshot.ts` makes instances from a snapshot; `watch.ts` follows the home and each agent's events on ha.sock for `watch` (its lines: `watch-event.ts`); `autostart.ts` writes and enables the systemd user unit of `autostart enable` (its text: `autostart-unit.ts`). Orchestrates; plans nothing but those",
    pure: false,
    except: ["watch-event.ts", "autostart-unit.ts"],
  },
  {
    folder: "hostagent",
        holds: "the per-instance daemon: `plan.ts` (`planBoot`, golden: `test/fixtures/boot`), `readiness-plan.ts` (the boot plan), `launch-plan.ts` (boot, resume or attach) and `attach-plan.ts` (whether to adopt a QEMU whose agent died), `networks-plan.ts` (the NICs of user-v2 networks), `guest-net.ts` (the host resolver `host-resolver.ts`, its entries `host-resolver-plan.ts`, and the user-v2 links); `agent.ts` (`HostAgent`: its phases and on-close list), `gather.ts`, `launch.ts`, `requests.ts`, `control.ts` (the control socket ha.sock), `on-close.ts`, `readiness.ts` (runs readiness steps), `quiesce.ts`, `suspend.ts`, `snapshot.ts` (a booted snapshot), `resume.ts` (restore), `attach.ts` (adopting a QEMU whose agent died), `clock.ts`, `inotify.ts` (`mountInotify`'s watcher and guest session), `serial-watch.ts` (reads serial.log during a boot; its matcher `serial-failures.ts`), `daemons.ts`, `processes.ts` (supervision), `shutdown.ts`. Owns QEMU's process",
    pure: false,
    except: ["plan.ts", "readiness-plan.ts", "launch-plan.ts", "attach-plan.ts", "reidentify-script.ts", "serial-failures.ts", "networks-plan.ts", "host-resolver-plan.ts", "yq-edit.ts"],
  },
  {
    folder: "portfwd",
    holds: "guest listener watcher (TCP listeners and UDP servers), forward rules and plan, ssh forwards, the UDP relay (`udp.ts`) and its guest program, the forwards' state file",
    pure: false,
    except: ["ip.ts", "plan.ts", "procnet.ts", "rules.ts", "types.ts", "udpclients.ts", "udprelay.ts", "watchscript.ts"],
  },
  {
    folder: "ssh",
    holds: "ssh.config (and `show.ts`: its options in `show-ssh`'s formats), ssh argv, the variables `shell` passes (`shell-env.ts`), the user key, guest exec, waiting for sshd, an SFTP client over a child (`sftp.ts`; its packets `sftp-packet.ts`). Runs ssh through `proc/`",
    pure: false,
    except: ["argv.ts", "config.ts", "shell-env.ts", "show.ts", "sftp-packet.ts", "sftp-error.ts"],
  },
  {
    folder: "cidata",
    holds: "cloud-init NoCloud files, the guest's boot scripts (`scripts/`) and the ISO (golden: `test/fixtures/cidata`)",
    pure: true,
  },
  {
    folder: "qemu",
    holds: "QEMU argv (golden: `test/fixtures/qemu`; the display, TPM and swtpm args: `devices.ts`; sound: `audio.ts`), options, firmware, accelerator, qemu-img, QMP, migration, the check of untrusted images before QEMU opens them (`image-check.ts`)",
    pure: false,
    except: ["argv.ts", "options.ts", "types.ts", "emulation.ts", "devices.ts", "audio.ts"],
  },
  {
    folder: "disks",
    holds: "Lima's additional disks: `plan.ts` (the config's disks, drive args, runner lines, `disk list` fields), `lock.ts` (`in_use_by`), `format-record.ts`. Below `qemu/` and `cidata/`, which plan with it",
    pure: false,
    except: ["plan.ts"],
  },
  {
    folder: "images",
    holds: "image resolution, the download cache, local images, the header checks of untrusted images (`image-trust.ts`); `builder/`: builds guest images (debootstrap, kernel, disk) for `build:NAME` locations",
    pure: false,
    except: ["image-trust.ts", "types.ts", "progress.ts", "builder/spec.ts", "builder/guest-files.ts"],
  },
  {
    folder: "mounts",
    holds: "one driver per mount type, the mount plan, checks of the guest's mounts, suspend/resume's guest steps (`suspend.ts`); `doctor.ts` and `doctor/`: `doctor mounts`' probes (the programs are in `guest/mounts/`), parsing, verdicts and advice; `bench.ts`: `bench mounts`' figures, sweep and snippet; `inotify.ts`: `mountInotify`'s batching and echo filter, `inotify-status.ts` its status line; `virtiofsd.ts` finds and probes the host's virtiofsd",
    pure: true,
    except: ["virtiofsd.ts", "index.ts"],
  },
  {
    folder: "host",
    holds: "facts about the host that configuration defaults depend on (`probeHostFacts`: OS, arch, CPUs, memory, user, time zone, free disk)",
    pure: false,
  },
  {
    folder: "network",
    holds: "Lima's networks.yaml (`config.ts`: `loadNetworks`, `userV2Network`; `networks-yaml.ts`: default, validation; `networks-edit.ts`: `network create|delete` as edits keeping comments; `ipv4.ts`: subnet arithmetic) and the user-v2 switch: `daemon.ts` (one process per network, `switch-main.ts`), `switch.ts` (ports, forwarding, the gateway), `dhcp.ts`, `dns.ts` (with `dns-message.ts`, which the host resolver shares), `ether.ts` (framing and checksums), `frames.ts` (QEMU's stream framing), `leases.ts`, `protocol.ts` (switch.sock), `client.ts` (starting the switch, an agent's `SwitchLink`)",
    pure: false,
    except: ["ipv4.ts", "networks-yaml.ts", "networks-edit.ts", "user-v2.ts", "ether.ts", "dhcp.ts", "dns.ts", "frames.ts", "leases.ts", "protocol.ts", "switch.ts", "paths.ts", "dns-message.ts"],
  },
  {
    folder: "config",
    holds: "Lima's YAML: load (regular files only, `structure.ts`: aliases, merge keys, depth and key checks), `base:` and templates (`base.ts`, `templates.ts`, `template-files.ts`, `pipeline.ts`: the file I/O), Lima's plugins (`plugins.ts`: limactl-NAME on PATH; `url-plugins.ts`: limactl-url-SCHEME locators; `github.ts`: github: locators, `github-io.ts` their requests), merge, defaults, validate (`validate-*.ts`), ignored-field warnings (`ignored.ts`), sizes, image candidates per arch (`images.ts`), `--set` (`sets.ts`); `guest.ts`: the guest-side layout planners share (install prefix, ready file, host IP, hostname)",
    pure: true,
    except: ["base.ts", "pipeline.ts", "templates.ts", "template-files.ts", "index.ts", "plugins.ts", "url-plugins.ts", "url-cache.ts", "github-io.ts"],
  },
  {
    folder: "store",
    holds: "the instance store: paths, pid files and the pid-file lock, status, the agent's event log (schema, error data, follower), `shell.json` and `shell-fast` (what `shell` and bin/tslima need of the booted config), `atomic.ts` (files never seen half-written), `private.ts` (modes, the refusal of a directory that is not private), `agent-log.ts`, a suspended instance's saved state, booted snapshots, the host agent's control protocol (`control-protocol.ts`, spoken on `ha.sock`), a path under a mount seen from the other side (`mount-paths.ts`). What every layer may know about an instance on disk",
    pure: false,
    except: ["suspend-record.ts", "snapshot-record.ts", "agent-error.ts", "events.ts", "event-parse.ts", "identifiers.ts", "control-protocol.ts", "mount-paths.ts"],
  },
  {
    folder: "proc",
    holds: "processes: `run.ts` (the runner), `child.ts` (the one spawn), `pid.ts`, `wait.ts`, `which.ts`, `quote.ts`, bounded output (`tail.ts`), `--log-format json` (`log-format.ts`). The only folder that may import `node:child_process`",
    pure: false,
    except: ["quote.ts", "tail.ts", "log-format.ts"],
  },
  {
    folder: "lang",
    holds: "small languages Lima's users write: a jq/yq expression language (`yq*.ts`: lexer, parser, evaluator, builtins, values, YAML in/out keeping comments; `limactl yq`, `list --yq`, `template yq`) and Go's text/template subset (`gotemplate.ts`, `list --format`, templates' `{{.Param}}`)",
    pure: true,
  },
  {
    folder: "guest",
    holds: "the guest's programs as real files (sh, Python, Perl, systemd units), linted by `npm run lint` (`scripts/lint-guest.js`), and `embedded.ts`, their text as string constants, generated by `scripts/embed-guest.js` and committed (a unit test fails when it is stale). Imports nothing",
    pure: true,
  },
];

const FOLDERS = LAYERS.map((l) => l.folder);

/** The pure files of src/, as regexes: pure folders (less their exceptions) and pure files of other folders. */
const esc = (s) => s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
const pureFolders = LAYERS.filter((l) => l.pure);
const pureInImpure = LAYERS.filter((l) => !l.pure).flatMap((l) => (l.except ?? []).map((f) => `src/${l.folder}/${f}`));
const impureInPure = pureFolders.flatMap((l) => (l.except ?? []).map((f) => `src/${l.folder}/${f}`));
const oneOf = (alts) => (alts.length === 0 ? "^$a" : `^(${alts.join("|")})`);
const PURE_FROM = {
  path: oneOf([...pureFolders.map((l) => `src/${l.folder}/`), ...pureInImpure.map((f) => `${esc(f)}$`)]),
  pathNot: oneOf(impureInPure.map((f) => `${esc(f)}$`)),
};

/**
 * The pure files for eslint (eslint.config.js): `files` globs and the `ignores` among them. Also read
 * by scripts/gen-layers.js.
 */
export const PURE = {
  files: [...pureFolders.map((l) => `src/${l.folder}/**/*.ts`), ...pureInImpure],
  ignores: impureInPure,
};

/**
 * The library's entry points, the only files of src/ the CLI may import: src/index.ts (the public
 * API), src/internal.ts (the public API and what only the CLI uses) and the light entries a command
 * imports so it does not evaluate the whole library (src/shell.ts: shell and exec; src/errors.ts:
 * TslimaError; src/version.ts: versions; src/plugins.ts: limactl-NAME plugins, for --help; src/yq.ts:
 * `yq`). Each but
 * src/internal.ts and src/plugins.ts is in package.json "exports".
 */
export const ENTRIES = ["src/index.ts", "src/internal.ts", "src/shell.ts", "src/plugins.ts", "src/sandboxes.ts", "src/mcp.ts", "src/yq.ts", "src/errors.ts", "src/version.ts"];

/** Entries below everything: every folder may import them, and they import nothing of src. */
const LEAVES = ["src/errors.ts", "src/version.ts"];

const escape = esc;

/** One rule per layer: its files may not import any folder above it. */
const layerRules = FOLDERS.slice(1).map((folder, i) => ({
  name: `layer-${folder}`,
  comment: `src/${folder} may import only folders below it: ${FOLDERS.slice(i + 2).join(", ")} (see docs/architecture.md)`,
  severity: "error",
  from: { path: `^src/${folder}/` },
  to: { path: `^src/(${FOLDERS.slice(0, i + 1).join("|")})/|^(${ENTRIES.filter((e) => !LEAVES.includes(e)).map(escape).join("|")})$` },
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
      comment: "src/cli is a client of the library: it imports only the library's entry points (ENTRIES: src/index.ts, src/internal.ts, the light src/shell.ts, src/yq.ts and src/plugins.ts, src/errors.ts) and its own files",
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
      from: { path: "^src/", pathNot: `^src/(${FOLDERS.join("|")})/|^src/[^/]+\\.ts$` },
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
      comment: "Pure code (LAYERS: pure folders and files) computes data; reading files, probing the host or running programs belongs to its callers",
      severity: "error",
      from: PURE_FROM,
      to: { dependencyTypes: ["core"], path: "^(node:)?(fs|child_process|os|dgram|http|https|http2|tls|cluster|worker_threads|vm|v8)(/promises)?$" },
    },
    {
      name: "pure-imports-pure",
      comment: "Pure code imports only pure files of src/ (declare a pure file in LAYERS' except list, or move the I/O to the caller); types are fine",
      severity: "error",
      from: PURE_FROM,
      to: {
        path: oneOf([...FOLDERS.filter((f) => !pureFolders.some((l) => l.folder === f)).map((f) => `src/${f}/`), ...impureInPure.map((f) => `${esc(f)}$`), "src/(index|shell)\\.ts$"]),
        pathNot: oneOf(pureInImpure.map((f) => `${esc(f)}$`)),
        dependencyTypesNot: ["type-only"],
      },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "^(dist|node_modules)/" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
  },
};
