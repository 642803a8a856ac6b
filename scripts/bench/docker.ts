/**
 * Docker first-start benchmark (run it with scripts/bench/docker). From one run on this machine, each
 * a fresh instance (first boot, full cloud-init), started with the CLI as a user would, then deleted:
 *   - template:default: `tslima start` to its return (READY);
 *   - template:docker with the prebuilt image build:debian-12-docker (Docker preinstalled): to the
 *     return of `tslima start` (READY: the probe saw dockerd answer; the docker context is made) and to
 *     the first `docker version` that answers through the forwarded socket;
 *   - template:docker-rootful (same image, dockerd run by root; template:docker is rootless);
 *   - template:docker without it (images: build:debian-12 first, so the provision script apt-installs
 *     docker.io at boot; needs Debian's mirror).
 * Prints the seconds and the ratios to template:default. Nothing is asserted; the figures are for people.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { Cli } from "../../test/support/cli.js";
import { buildCacheDir } from "../../src/store/paths.js";

const CPUS = process.env.BENCH_CPUS ?? "1";
const MEMORY = process.env.BENCH_MEMORY ?? "2GiB";
const START_TIMEOUT = process.env.BENCH_START_TIMEOUT ?? "25m";
const ONLY = (process.env.BENCH_ONLY ?? "default,docker,docker-rootful,docker-apt").split(",");

const cli = new Cli("bench-docker");
const hostHome = join(cli.root, "hosthome");
const dockerConfig = join(cli.root, "docker-config");
mkdirSync(hostHome, { recursive: true });
mkdirSync(dockerConfig, { recursive: true });
const env = cli.env({ HOME: hostHome, XDG_CACHE_HOME: dirname(buildCacheDir()), DOCKER_CONFIG: dockerConfig });

/** The image the boot used: its build directory, from the agent's "Creating the disk (...) over DISK" event. */
function imageOf(name: string): string {
  const log = readFileSync(join(cli.home, name, "ha.stdout.log"), "utf8");
  return /Creating the disk \([^)]*\) over ([^"]+)/.exec(log)?.[1]?.replace(/\/disk\.qcow2$/, "") ?? "?";
}

interface Row {
  what: string;
  startS: number;
  dockerS?: number;
  image: string;
}

async function one(what: string, locator: string, docker: boolean): Promise<Row> {
  const name = `bench-${what}`;
  const t0 = Date.now();
  await cli.ok(["start", "--name", name, "--cpus", CPUS, "--memory", MEMORY, "--timeout", START_TIMEOUT, locator], { env, timeoutMs: 40 * 60_000 });
  const startS = (Date.now() - t0) / 1000;
  let dockerS: number | undefined;
  if (docker) {
    // the context start made current: plain `docker`, no --context
    const r = spawnSync("docker", ["version", "--format", "{{.Server.Version}}"], { env, encoding: "utf8", timeout: 120_000 });
    if (r.status === 0) dockerS = (Date.now() - t0) / 1000;
    else console.log(`${what}: docker version failed: ${r.stderr}`);
  }
  const image = imageOf(name);
  await cli.ok(["delete", "-f", name], { env });
  const row: Row = { what, startS, image, ...(dockerS !== undefined ? { dockerS } : {}) };
  console.log(JSON.stringify(row));
  return row;
}

const rows: Row[] = [];
try {
  if (ONLY.includes("default")) rows.push(await one("default", "template:default", false));
  if (ONLY.includes("docker")) rows.push(await one("docker", "template:docker", true));
  if (ONLY.includes("docker-rootful")) rows.push(await one("docker-rootful", "template:docker-rootful", true));
  if (ONLY.includes("docker-apt")) {
    // template:docker, but the plain local Debian 12 image first: Docker comes from apt at boot
    const yaml = cli.file("docker-apt.yaml", 'base: template:docker\nimages:\n- location: "build:debian-12"\n  arch: "x86_64"\n');
    rows.push(await one("docker-apt", yaml, true));
  }
} finally {
  await cli.cleanup(rows.map((r) => `bench-${r.what}`));
}
const base = rows.find((r) => r.what === "default")?.startS;
console.log(`\nfirst start, ${CPUS} vCPU, ${MEMORY}, one run (seconds; ratio to template:default)`);
for (const r of rows) {
  const ratio = (s: number | undefined) => (s !== undefined && base ? ` (x${(s / base).toFixed(2)})` : "");
  const d = r.dockerS !== undefined ? `, first docker answer ${r.dockerS.toFixed(1)}${ratio(r.dockerS)}` : "";
  console.log(`  ${r.what.padEnd(11)} start ${r.startS.toFixed(1)}${ratio(r.startS)}${d}   image: ${r.image}`);
}
