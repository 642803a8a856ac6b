/**
 * One part of fields.test.ts's shared VM (issue 29: "one VM can carry most of them"): the lima.yaml
 * lines a Lima field needs, what the host needs before the boot, and the checks on the running guest
 * (and after it stops). Every file in test/e2e/fields/ but this one exports `fragment`.
 */
import type { RunningInstance } from "../../../src/index.js";
import type { Cli } from "../harness.js";

export interface FieldsContext {
  cli: Cli;
  /** The instance's name. */
  name: string;
  vm: RunningInstance;
  /** Runs `sh -c SCRIPT` in the guest as the user through `tslima shell`; rejects on a non-zero exit. */
  sh: (script: string) => Promise<string>;
  /** The instance directory. */
  dir: string;
}

export interface FieldFragment {
  /** What it shows, for the test titles. */
  title: string;
  /**
   * Top-level lima.yaml keys with their values, as YAML text. Its top-level keys must be its own:
   * fields.test.ts refuses two fragments that set the same key. `root` is the Cli's root (host files).
   */
  yaml(root: string): string;
  /** Before the boot, on the host (files under `root`). */
  prepare?(root: string): void | Promise<void>;
  /** On the running instance. */
  check(ctx: FieldsContext): Promise<void>;
  /** After `stop` (the instance still exists). */
  afterStop?(ctx: Omit<FieldsContext, "vm" | "sh">): Promise<void>;
}
