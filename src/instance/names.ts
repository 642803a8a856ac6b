import { TslimaError } from "../errors.js";
import { IDENTIFIER_RE } from "../store/identifiers.js";

/**
 * Instance names: Lima's identifier rule (pkg/identifiers): letters (either case) and digits, with
 * single ".", "_" or "-" between them (`test-passwordlessSudo`, `my_vm.1`). The guest host name is
 * `lima-NAME` lower-cased with "." and "_" made "-" (config/defaults.ts).
 */
const NAME_RE = IDENTIFIER_RE;
/** `lima-` + name must fit a 63-character host name label. */
export const MAX_NAME_LENGTH = 58;

/** Returns undefined when `name` is valid, else why it is not. Pure. */
export function instanceNameProblem(name: string): string | undefined {
  if (name === "") return "the name is empty";
  if (name.length > MAX_NAME_LENGTH) return `the name is longer than ${MAX_NAME_LENGTH} characters`;
  if (!NAME_RE.test(name)) {
    return 'use letters and digits, separated by single ".", "_" or "-" (e.g. "default", "dev-1", "myVM")';
  }
  return undefined;
}

export function validateInstanceName(name: string): string {
  const problem = instanceNameProblem(name);
  if (problem !== undefined) {
    throw new TslimaError("INVALID_NAME", `invalid instance name ${JSON.stringify(name)}: ${problem}`, {
      hint: "pass a valid name with --name NAME",
    });
  }
  return name;
}

/** The name `start`/`create` give an instance made from a file or template locator, as Lima does. Pure. */
export function nameFromLocator(locator: string): string {
  let base = locator;
  if (base.startsWith("template:")) base = base.slice("template:".length);
  else if (base.startsWith("template://")) base = base.slice("template://".length);
  base = base.replace(/[?#].*$/, "");
  base = base.split("/").filter((s) => s !== "").pop() ?? base;
  base = base.replace(/\.ya?ml$/i, "");
  return base.toLowerCase().replace(/[^a-z0-9.-]+/g, "-").replace(/^[.-]+|[.-]+$/g, "");
}
