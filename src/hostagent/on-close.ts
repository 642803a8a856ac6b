/**
 * What the host agent started, each with its own cleanup (compare Lima's HostAgent onClose): every
 * piece registers how it is undone when it starts; shutting down runs the list newest first, and a
 * cleanup that fails is logged while the others still run.
 */
export class OnClose {
  private readonly list: Array<{ what: string; close: () => Promise<void> | void }> = [];

  constructor(private readonly log: (m: string) => void) {}

  add(what: string, close: () => Promise<void> | void): void {
    this.list.push({ what, close });
  }

  async closeAll(): Promise<void> {
    for (let c = this.list.pop(); c !== undefined; c = this.list.pop()) {
      try {
        await c.close();
      } catch (e) {
        this.log(`closing ${c.what}: ${(e as Error).message}`);
      }
    }
  }
}
