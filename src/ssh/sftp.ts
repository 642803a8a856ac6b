/**
 * An SFTP (version 3) client over a child process: `ssh -F ssh.config HOST -s sftp`, as Lima's MCP
 * server keeps one open for its file tools, or sftp-server itself. The files a tool needs: read,
 * write, mkdir -p, list, stat, realpath. The connection (ids, pending replies, the child's end) is
 * sftp-session.ts; the packets sftp-packet.ts; whole-file transfers sftp-transfer.ts.
 */
import { CONNECTION_ENDED, expectOk, expectReply, SftpError } from "./sftp-error.js";
import { FX, FXP, OPEN_FLAGS, type Field, type RawAttrs } from "./sftp-packet.js";
import { SftpSession, type SessionOptions } from "./sftp-session.js";
import { readAll, writeAll } from "./sftp-transfer.js";

export { SftpError } from "./sftp-error.js";

/** A directory entry; `mode` is the POSIX st_mode (type and permission bits), as lstat gives it. */
export interface SftpEntry {
  name: string;
  size: number;
  mode: number;
  mtime: Date;
  isDir: boolean;
}

export interface SftpAttrs {
  size: number;
  mode: number;
  mtime: Date;
  isDir: boolean;
  uid: number;
  gid: number;
}

const DEFAULT_READ_LIMIT = 32 << 20;
/** A directory listing longer than this is refused (a hostile server could send names forever). */
const MAX_ENTRIES = 200_000;

function toAttrs(a: RawAttrs): SftpAttrs {
  const mode = a.permissions ?? 0;
  return { size: a.size ?? 0, mode, mtime: new Date((a.mtime ?? 0) * 1000), isDir: (mode & 0o170000) === 0o040000, uid: a.uid ?? 0, gid: a.gid ?? 0 };
}

/** The parent to make first, or undefined at the top ("/", or the first part of a relative path). */
function parentOf(path: string): string | undefined {
  const trimmed = path.replace(/\/+$/, "");
  const slash = trimmed.lastIndexOf("/");
  if (slash <= 0) return undefined;
  return trimmed.slice(0, slash);
}

function isStatus(e: unknown): e is SftpError {
  return e instanceof SftpError && e.status !== CONNECTION_ENDED;
}

export class SftpClient implements AsyncDisposable {
  private constructor(private readonly s: SftpSession) {}

  /**
   * Spawns argv (e.g. ["ssh", "-F", cfg, host, "-s", "sftp"] or ["/usr/lib/openssh/sftp-server"]),
   * sends INIT and waits for VERSION; rejects (SftpError -1, with the child's stderr tail) if the
   * child ends or answers something else first.
   */
  static async open(argv: string[], opts: SessionOptions = {}): Promise<SftpClient> {
    return new SftpClient(await SftpSession.start(argv, opts));
  }

  /** True while the connection is usable. */
  get alive(): boolean {
    return this.s.alive;
  }

  /** The whole file, at most `limitBytes` (a longer file is an SftpError); 32 KiB requests, several in flight. */
  async readFile(path: string, limitBytes: number = DEFAULT_READ_LIMIT): Promise<Buffer> {
    if (!Number.isSafeInteger(limitBytes) || limitBytes < 0) throw new RangeError(`SftpClient.readFile: limitBytes must be a whole number of bytes, not ${limitBytes}`);
    const handle = await this.openHandle(FXP.OPEN, [path, OPEN_FLAGS.READ, {}], path);
    return this.withHandle(handle, path, () => readAll(this.s, handle, path, limitBytes));
  }

  /** Creates or truncates the file (mode 0644 when new) and writes `data` (a string as UTF-8). */
  async writeFile(path: string, data: Buffer | string): Promise<void> {
    const bytes = typeof data === "string" ? Buffer.from(data, "utf8") : data;
    const flags = OPEN_FLAGS.WRITE | OPEN_FLAGS.CREAT | OPEN_FLAGS.TRUNC;
    const handle = await this.openHandle(FXP.OPEN, [path, flags, { permissions: 0o644 }], path);
    await this.withHandle(handle, path, () => writeAll(this.s, handle, path, bytes));
  }

  /** Like `mkdir -p`: makes the missing directories (0755); an existing non-directory is an error. */
  async mkdirAll(path: string): Promise<void> {
    let found: SftpAttrs | undefined;
    try {
      found = await this.stat(path);
    } catch (e) {
      if (!isStatus(e)) throw e;
    }
    if (found) {
      if (found.isDir) return;
      throw new SftpError(FX.FAILURE, "not a directory", path);
    }
    const parent = parentOf(path);
    if (parent !== undefined) await this.mkdirAll(parent);
    try {
      expectOk(await this.s.request(FXP.MKDIR, [path, { permissions: 0o755 }], path), path, "mkdir");
    } catch (e) {
      // Made meanwhile by someone else is fine.
      if (isStatus(e) && (await this.lstat(path).catch(() => undefined))?.isDir) return;
      throw e;
    }
  }

  /** The entries of a directory but "." and "..", sorted by name (bytewise, as Go sorts). */
  async readdir(path: string): Promise<SftpEntry[]> {
    const handle = await this.openHandle(FXP.OPENDIR, [path], path);
    const raw = await this.withHandle(handle, path, async () => {
      const out: { key: Buffer; entry: SftpEntry }[] = [];
      let seen = 0;
      for (;;) {
        const r = await this.s.request(FXP.READDIR, [handle], path);
        if (r.type === FXP.STATUS && r.code === FX.EOF) break;
        const { entries } = expectReply(r, FXP.NAME, path, "readdir");
        if (entries.length === 0) break;
        seen += entries.length;
        if (seen > MAX_ENTRIES) throw new SftpError(FX.FAILURE, `directory has more than ${MAX_ENTRIES} entries`, path);
        for (const { name: key, attrs } of entries) {
          const name = key.toString("utf8");
          if (name === "." || name === "..") continue;
          const { size, mode, mtime, isDir } = toAttrs(attrs);
          out.push({ key, entry: { name, size, mode, mtime, isDir } });
        }
      }
      return out;
    });
    return raw.sort((a, b) => Buffer.compare(a.key, b.key)).map((e) => e.entry);
  }

  stat(path: string): Promise<SftpAttrs> {
    return this.attrsOf(FXP.STAT, path, "stat");
  }

  /** The attributes of the path itself (a symbolic link's own). */
  lstat(path: string): Promise<SftpAttrs> {
    return this.attrsOf(FXP.LSTAT, path, "lstat");
  }

  /** The absolute, canonical path (relative paths are from the login's home). */
  async realpath(path: string): Promise<string> {
    const { entries } = expectReply(await this.s.request(FXP.REALPATH, [path], path), FXP.NAME, path, "realpath");
    const [first] = entries;
    if (entries.length !== 1 || !first) throw new SftpError(FX.BAD_MESSAGE, `the server answered realpath with ${entries.length} names`, path);
    return first.name.toString("utf8");
  }

  /** Ends the session (closes stdin, waits up to 2 s, then SIGKILLs the child). Idempotent. */
  close(): Promise<void> {
    return this.s.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  private async attrsOf(type: number, path: string, what: string): Promise<SftpAttrs> {
    return toAttrs(expectReply(await this.s.request(type, [path], path), FXP.ATTRS, path, what).attrs);
  }

  private async openHandle(type: number, fields: Field[], path: string): Promise<Buffer> {
    return expectReply(await this.s.request(type, fields, path), FXP.HANDLE, path, "an open").handle;
  }

  /** Runs fn, then closes the handle, also when fn fails (its error wins over the close's). */
  private async withHandle<T>(handle: Buffer, path: string, fn: () => Promise<T>): Promise<T> {
    let result: T;
    try {
      result = await fn();
    } catch (e) {
      await this.s.request(FXP.CLOSE, [handle], path).catch(() => undefined);
      throw e;
    }
    expectOk(await this.s.request(FXP.CLOSE, [handle], path), path, "a close");
    return result;
  }
}
