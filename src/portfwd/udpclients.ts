/**
 * The UDP relay's clients (see udprelay.ts): which frame id stands for which client address. At most
 * `maxClients` are live; a new client beyond that evicts the least recently used one, and a client
 * not heard from (nor answered) for `idleMs` is expired. Every call does a bounded amount of work:
 * ids come from a FIFO of free ids (so an id freed now is the last to be used again), never from a
 * search. The caller tells the guest which ids were evicted, so that the guest closes their sockets
 * before any id is used again. Pure (time is passed in).
 */

export interface ClientLimits {
  maxClients: number;
  idleMs: number;
  /** Ids are 0 .. idSpace-1; at least maxClients. */
  idSpace: number;
}

interface Client<A> {
  id: number;
  addr: A;
  at: number;
}

export class ClientTable<A> {
  /** Live clients by key, least recently used first (a Map keeps insertion order; a touch re-inserts). */
  private readonly byKey = new Map<string, Client<A>>();
  private readonly byId = new Map<number, string>();
  /** Free ids, oldest freed first: a ring over idSpace slots. */
  private readonly free: Uint32Array;
  private head = 0;
  private count: number;

  constructor(private readonly limits: ClientLimits) {
    if (!(limits.maxClients >= 1 && limits.idSpace >= limits.maxClients)) throw new RangeError("ClientTable: need 1 <= maxClients <= idSpace");
    this.free = new Uint32Array(limits.idSpace);
    for (let i = 0; i < limits.idSpace; i++) this.free[i] = i;
    this.count = limits.idSpace;
  }

  get size(): number {
    return this.byKey.size;
  }

  /**
   * The id of the client `key` (its address `addr`), made now if it is new; `evicted` lists the ids
   * that ended to make room or because they were idle.
   */
  idFor(key: string, addr: A, now: number): { id: number; evicted: number[] } {
    const known = this.byKey.get(key);
    if (known) {
      this.touchClient(key, known, now);
      return { id: known.id, evicted: [] };
    }
    const evicted = this.expire(now);
    if (this.byKey.size >= this.limits.maxClients) {
      const oldest = this.byKey.keys().next();
      if (!oldest.done) evicted.push(this.drop(oldest.value));
    }
    const id = this.takeId();
    const c: Client<A> = { id, addr, at: now };
    this.byKey.set(key, c);
    this.byId.set(id, key);
    return { id, evicted };
  }

  /** The address of live client `id` (undefined when it is not live: its frames are dropped); `now` counts as activity. */
  addressOf(id: number, now: number): A | undefined {
    const key = this.byId.get(id);
    const c = key === undefined ? undefined : this.byKey.get(key);
    if (key === undefined || !c) return undefined;
    this.touchClient(key, c, now);
    return c.addr;
  }

  /** Ends the clients idle for longer than idleMs; their ids. Stops at the first one that is not. */
  expire(now: number): number[] {
    const out: number[] = [];
    for (const [key, c] of this.byKey) {
      if (now - c.at <= this.limits.idleMs) break;
      out.push(this.drop(key));
    }
    return out;
  }

  /** The live ids (for tests). */
  liveIds(): number[] {
    return [...this.byId.keys()];
  }

  private touchClient(key: string, c: Client<A>, now: number): void {
    c.at = Math.max(c.at, now);
    this.byKey.delete(key);
    this.byKey.set(key, c);
  }

  private drop(key: string): number {
    const c = this.byKey.get(key);
    if (!c) throw new Error(`ClientTable: no client ${key}`);
    this.byKey.delete(key);
    this.byId.delete(c.id);
    this.free[(this.head + this.count) % this.limits.idSpace] = c.id;
    this.count++;
    return c.id;
  }

  private takeId(): number {
    // count >= idSpace - maxClients + 1 > 0 here: at most maxClients - 1 ids are live
    const id = this.free[this.head] ?? 0;
    this.head = (this.head + 1) % this.limits.idSpace;
    this.count--;
    return id;
  }
}
