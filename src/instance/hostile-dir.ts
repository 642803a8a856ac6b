/**
 * A host directory whose entries the guest can change at any moment (doctor's scratch directory in
 * a shared mount): every operation goes through a descriptor of the directory itself (Linux's
 * /proc/self/fd/N names the opened directory, not a path resolved again), so a name the guest
 * replaces with a symlink is never followed: files are created with O_EXCL|O_NOFOLLOW, read only when
 * they are regular files (and only their first bytes), and removal never descends through a link.
 */
import { closeSync, constants, fchmodSync, fstatSync, futimesSync, lstatSync, mkdirSync, openSync, readdirSync, readSync, rmdirSync, symlinkSync, unlinkSync, writeSync, type Stats } from "node:fs";

const { O_RDONLY, O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW, O_DIRECTORY, O_NONBLOCK } = constants;

export class HostileDir {
  private constructor(
    readonly path: string,
    private readonly fd: number,
  ) {}

  /** Makes `path` (it must not exist; mode 0700) and opens it. */
  static create(path: string): HostileDir {
    mkdirSync(path, { mode: 0o700 });
    return HostileDir.open(path);
  }

  /** Opens an existing directory; a symlink (or anything else) at `path` is refused (ELOOP/ENOTDIR). */
  static open(path: string): HostileDir {
    return new HostileDir(path, openSync(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW));
  }

  /** The entry `name` as reached through the directory's descriptor. */
  private at(name: string): string {
    if (name === "" || name.includes("/") || name === "." || name === "..") throw new Error(`HostileDir: not an entry name: ${JSON.stringify(name)}`);
    return `/proc/self/fd/${this.fd}/${name}`;
  }

  /** A new regular file (fails when the name exists, also as a symlink), its mode and times set through its descriptor. */
  createFile(name: string, content: string, mode: number, mtimeS?: number): void {
    const fd = openSync(this.at(name), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600);
    try {
      writeSync(fd, content);
      fchmodSync(fd, mode);
      if (mtimeS !== undefined) futimesSync(fd, mtimeS, mtimeS);
    } finally {
      closeSync(fd);
    }
  }

  symlink(target: string, name: string): void {
    symlinkSync(target, this.at(name));
  }

  /** The entry itself (never what a symlink points to), or undefined when missing. */
  lstat(name: string): Stats | undefined {
    const p = this.at(name);
    try {
      return lstatSync(p);
    } catch {
      return undefined;
    }
  }

  /** A subdirectory (not a symlink to one), or undefined. */
  dir(name: string): HostileDir | undefined {
    const p = this.at(name);
    try {
      return HostileDir.open(p);
    } catch {
      return undefined;
    }
  }

  /** The first `max` bytes of a regular file as UTF-8; undefined for a symlink, a FIFO, a device or a missing name. */
  readSmall(name: string, max = 4096): string | undefined {
    const p = this.at(name);
    let fd: number;
    try {
      fd = openSync(p, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
    } catch {
      return undefined;
    }
    try {
      if (!fstatSync(fd).isFile()) return undefined;
      const buf = Buffer.alloc(max);
      let n = 0;
      for (let got = -1; got !== 0 && n < max; n += got) got = readSync(fd, buf, n, max - n, null);
      return buf.subarray(0, n).toString("utf8");
    } catch {
      return undefined;
    } finally {
      closeSync(fd);
    }
  }

  /** A path to the entry for another program (this process's /proc entry: a child's /proc/self is its own), e.g. `getfattr -h`. */
  entryPath(name: string): string {
    return this.at(name).replace("/proc/self/", `/proc/${process.pid}/`);
  }

  /** Sets the directory's own mode (through its descriptor). */
  chmod(mode: number): void {
    fchmodSync(this.fd, mode);
  }

  /**
   * Removes everything in the directory, and the directory (by its path: `path` is only removed when
   * it still is an empty directory; gone already is fine). Subdirectories are entered through O_NOFOLLOW descriptors, so a
   * symlink is removed itself, whatever it points to. Returns false when something could not be removed.
   */
  removeAll(): boolean {
    const ok = this.empty(0);
    this.close();
    try {
      rmdirSync(this.path);
      return ok;
    } catch (e) {
      return ok && (e as NodeJS.ErrnoException).code === "ENOENT"; // the guest's cleanup removed it already
    }
  }

  private empty(depth: number): boolean {
    let ok = true;
    let names: string[];
    try {
      names = readdirSync(`/proc/self/fd/${this.fd}`);
    } catch {
      return false;
    }
    for (const name of names) {
      const st = this.lstat(name);
      if (st?.isDirectory() && depth < 64) {
        const sub = this.dir(name);
        if (!sub) ok = false;
        else {
          ok = sub.empty(depth + 1) && ok;
          sub.close();
          try {
            rmdirSync(this.at(name));
          } catch {
            ok = false;
          }
        }
      } else {
        try {
          unlinkSync(this.at(name));
        } catch {
          ok = false;
        }
      }
    }
    return ok;
  }

  close(): void {
    try {
      closeSync(this.fd);
    } catch {
      // closed already
    }
  }
}
