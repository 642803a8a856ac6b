import { isUrl } from "./remote-refs.js";
import { resolveCustomLocator } from "./url-plugins.js";

/**
 * What one resolution has learnt: fetched URLs' texts, what github: and custom locators stand for (a
 * limactl-url-SCHEME plugin runs once), and the local documents a plugin named, which are read as
 * remote templates (`untrusted`).
 */
export class UrlCache extends Map<string, string> {
  readonly untrusted = new Set<string>();
  /** The raw-content URL each github: locator stands for (github.ts). */
  readonly github = new Map<string, string>();
  private readonly custom = new Map<string, { locator: string; via?: string }>();

  constructor(untrusted?: string) {
    super();
    if (untrusted !== undefined) this.untrusted.add(untrusted);
  }

  /** A document fetched by URL, or one a plugin named. */
  remote(source: string): boolean {
    return isUrl(source) || this.untrusted.has(source);
  }

  resolveCustom(locator: string): { locator: string; via?: string } {
    let r = this.custom.get(locator);
    if (r === undefined) this.custom.set(locator, (r = resolveCustomLocator(locator)));
    return r;
  }
}
