import { isMap, isScalar, isSeq } from "yaml";
import { keyName } from "./ast.js";

/**
 * The shape of Lima's YAML (Lima 2.x field names), used to report wrong types as errors and unknown
 * fields as warnings, each with its field path. Values are checked for type only; meaning is checked
 * in validate.ts after defaults are filled.
 */
type Kind = "string" | "int" | "bool" | "size" | "scalar" | "any";
export type Shape = Kind | { map: Record<string, Shape> } | { seq: Shape } | { dict: Shape } | { oneOf: [Shape, Shape] };

const str: Shape = "string";
const int: Shape = "int";
const bool: Shape = "bool";
const size: Shape = "size";
const any: Shape = "any";
const file: Shape = { map: { location: str, arch: str, digest: str } };
const locator: Shape = { oneOf: [str, { map: { url: str, digest: str } }] };

export const LIMA_SCHEMA: Shape = {
  map: {
    minimumLimaVersion: str,
    base: { oneOf: [str, { seq: locator }] },
    vmType: str,
    vmOpts: any,
    os: str,
    osOpts: any,
    arch: str,
    images: {
      seq: {
        map: {
          location: str,
          arch: str,
          digest: str,
          variant: str,
          archVariant: str,
          kernel: { map: { location: str, arch: str, digest: str, cmdline: str } },
          initrd: file,
        },
      },
    },
    cpuType: { dict: str },
    cpus: int,
    memory: size,
    disk: size,
    additionalDisks: { seq: { oneOf: [str, { map: { name: str, format: bool, fsType: str, fsArgs: { seq: str } } }] } },
    mounts: {
      seq: {
        map: {
          location: str,
          mountPoint: str,
          writable: bool,
          sshfs: { map: { cache: bool, followSymlinks: bool, sftpDriver: str } },
          "9p": { map: { securityModel: str, protocolVersion: str, msize: size, cache: str } },
          virtiofs: { map: { queueSize: int } },
        },
      },
    },
    mountTypesUnsupported: { seq: str },
    mountType: str,
    mountInotify: bool,
    ssh: { map: { localPort: int, loadDotSSHPubKeys: bool, forwardAgent: bool, forwardX11: bool, forwardX11Trusted: bool, overVsock: bool } },
    caCerts: { map: { removeDefaults: bool, files: { seq: str }, certs: { seq: str } } },
    upgradePackages: bool,
    containerd: { map: { system: bool, user: bool, archives: { seq: any } } },
    provision: {
      seq: {
        map: {
          mode: str,
          script: str,
          file: locator,
          path: str,
          content: str,
          overwrite: bool,
          owner: str,
          permissions: "scalar",
          skipDefaultDependencyResolution: bool,
          playbook: str,
          expression: str,
          format: str,
          user: str,
        },
      },
    },
    probes: { seq: { map: { mode: str, description: str, script: str, file: locator, hint: str } } },
    portForwards: {
      seq: {
        map: {
          guestIPMustBeZero: bool,
          guestIP: str,
          guestPort: int,
          guestPortRange: { seq: int },
          guestSocket: str,
          hostIP: str,
          hostPort: int,
          hostPortRange: { seq: int },
          hostSocket: str,
          proto: str,
          reverse: bool,
          ignore: bool,
          static: bool,
        },
      },
    },
    copyToHost: { seq: { map: { guest: str, host: str, deleteOnStop: bool, skipIfMissing: bool } } },
    message: str,
    networks: { seq: { map: { lima: str, socket: str, vzNAT: bool, macAddress: str, interface: str, metric: int } } },
    env: { dict: "scalar" },
    param: { dict: "scalar" },
    dns: { seq: str },
    hostResolver: { map: { enabled: bool, ipv6: bool, hosts: { dict: str } } },
    propagateProxyEnv: bool,
    rosetta: { map: { enabled: bool, binfmt: bool } },
    plain: bool,
    timezone: str,
    firmware: { map: { legacyBIOS: bool, images: { seq: any } } },
    audio: { map: { device: str, interface: str } },
    video: { map: { display: str, vnc: { map: { display: str } } } },
    guestInstallPrefix: str,
    nestedVirtualization: bool,
    tpm: bool,
    user: { map: { name: str, comment: str, uid: int, home: str, shell: str, passwordlessSudo: bool } },
  },
};

export interface ShapeIssue {
  path: Array<string | number>;
  message: string;
}

function describe(node: unknown): string {
  if (isMap(node)) return "a map";
  if (isSeq(node)) return "a list";
  if (isScalar(node)) return JSON.stringify(node.value);
  return String(node);
}

/** Checks `node` against `shape`: type errors go to `errors`, unknown fields to `warnings`. */
export function checkShape(node: unknown, shape: Shape, path: Array<string | number>, errors: ShapeIssue[], warnings: ShapeIssue[]): void {
  if (node === null || node === undefined || (isScalar(node) && node.value === null)) return;
  if (typeof shape === "string") {
    if (shape === "any") return;
    if (!isScalar(node)) {
      errors.push({ path, message: `must be a ${shape === "int" ? "number" : shape === "bool" ? "boolean (true/false)" : "single value"}, not ${describe(node)}` });
      return;
    }
    const v = node.value;
    if (shape === "int" && !(typeof v === "number" && Number.isInteger(v))) errors.push({ path, message: `must be an integer, got ${describe(node)}` });
    if (shape === "bool" && typeof v !== "boolean") errors.push({ path, message: `must be true or false, got ${describe(node)}` });
    if (shape === "size" && typeof v !== "string" && typeof v !== "number") errors.push({ path, message: `must be a size such as "4GiB", got ${describe(node)}` });
    if (shape === "string" && typeof v === "object") errors.push({ path, message: `must be a string, got ${describe(node)}` });
    return;
  }
  if ("oneOf" in shape) {
    const [a, b] = shape.oneOf;
    const fits = (s: Shape) => (typeof s === "string" ? isScalar(node) : "map" in s || "dict" in s ? isMap(node) : isSeq(node));
    if (fits(a)) checkShape(node, a, path, errors, warnings);
    else if (fits(b)) checkShape(node, b, path, errors, warnings);
    else errors.push({ path, message: `has the wrong type (${describe(node)})` });
    return;
  }
  if ("seq" in shape) {
    if (!isSeq(node)) {
      errors.push({ path, message: `must be a list, not ${describe(node)}` });
      return;
    }
    node.items.forEach((item, i) => checkShape(item, shape.seq, [...path, i], errors, warnings));
    return;
  }
  if (!isMap(node)) {
    errors.push({ path, message: `must be a map (key: value), not ${describe(node)}` });
    return;
  }
  for (const pair of node.items) {
    const k = keyName(pair);
    if ("dict" in shape) {
      checkShape(pair.value, shape.dict, [...path, k], errors, warnings);
      continue;
    }
    const sub = Object.hasOwn(shape.map, k) ? shape.map[k] : undefined;
    if (sub === undefined) warnings.push({ path: [...path, k], message: "unknown field (ignored); check the spelling against Lima's default.yaml" });
    else checkShape(pair.value, sub, [...path, k], errors, warnings);
  }
}
