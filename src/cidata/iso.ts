import { SECTOR, asciiField, both16, both32, recordDate, sectorsFor, ucs2Field, ucs2be, volumeDate } from "./iso-fields.js";

/**
 * An ISO 9660 image writer (pure): primary volume descriptor with ISO level-1 names plus a Joliet
 * supplementary descriptor carrying the real, case-preserving names (up to 64 UCS-2 characters),
 * which Linux's isofs, and so cloud-init's NoCloud source, read. Keys of `files` are paths with "/"
 * between directory levels ("user-data", "tslima/boot.sh").
 */
export interface IsoOptions {
  /** Timestamp of every record; fixed by default so that the same input gives the same bytes. */
  date?: Date;
}

const DEFAULT_DATE = new Date(Date.UTC(2000, 0, 1));
const JOLIET_MAX = 64;
const FORBIDDEN = /[*/:;?\\\0]/;

interface FileNode { kind: "file"; name: string; data: Buffer; extent: number }
interface DirNode {
  kind: "dir";
  name: string;
  children: Map<string, FileNode | DirNode>;
  parent: DirNode | undefined;
  /** index in the path table (1-based), per tree flavour */
  number: number;
  extent: { primary: number; joliet: number };
  size: { primary: number; joliet: number };
  /** mangled level-1 names of the children, by real name */
  shortNames: Map<string, string>;
}

type Flavour = "primary" | "joliet";

function newDir(name: string, parent: DirNode | undefined): DirNode {
  return { kind: "dir", name, children: new Map(), parent, number: 0, extent: { primary: 0, joliet: 0 }, size: { primary: 0, joliet: 0 }, shortNames: new Map() };
}

function buildTree(files: Record<string, string | Buffer>): DirNode {
  const root = newDir("", undefined);
  for (const [path, content] of Object.entries(files)) {
    const parts = path.split("/").filter((p) => p !== "");
    if (parts.length === 0) throw new Error(`ISO path ${JSON.stringify(path)} is empty`);
    if (parts.length > 7) throw new Error(`ISO path ${JSON.stringify(path)} is nested deeper than 8 levels`);
    let dir = root;
    parts.forEach((name, i) => {
      if (FORBIDDEN.test(name) || name === "." || name === "..") throw new Error(`ISO name ${JSON.stringify(name)} is not allowed in Joliet`);
      if (name.length > JOLIET_MAX) throw new Error(`ISO name ${JSON.stringify(name)} is longer than ${JOLIET_MAX} characters`);
      const existing = dir.children.get(name);
      if (i === parts.length - 1) {
        if (existing) throw new Error(`ISO path ${JSON.stringify(path)} is given twice`);
        const data = typeof content === "string" ? Buffer.from(content, "utf8") : content;
        if (data.length > 0xffffffff) throw new Error(`ISO file ${path} is larger than 4 GiB`);
        dir.children.set(name, { kind: "file", name, data, extent: 0 });
      } else {
        if (existing?.kind === "file") throw new Error(`ISO path ${JSON.stringify(path)}: ${name} is a file`);
        const next = existing ?? newDir(name, dir);
        dir.children.set(name, next);
        dir = next;
      }
    });
  }
  return root;
}

/** ISO level-1 (8.3, d-characters) names for the primary tree, unique within a directory. */
function assignShortNames(dir: DirNode): void {
  const used = new Set<string>();
  for (const child of [...dir.children.values()].sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const clean = (s: string) => s.toUpperCase().replace(/[^A-Z0-9_]/g, "_");
    const dot = child.kind === "file" ? child.name.lastIndexOf(".") : -1;
    const base = clean(dot > 0 ? child.name.slice(0, dot) : child.name) || "_";
    const ext = dot > 0 ? clean(child.name.slice(dot + 1)).slice(0, 3) : "";
    let n = 0;
    let short: string;
    do {
      const suffix = n === 0 ? "" : `_${n}`;
      short = base.slice(0, 8 - suffix.length) + suffix;
      n++;
    } while (used.has(`${short}.${ext}`));
    used.add(`${short}.${ext}`);
    dir.shortNames.set(child.name, child.kind === "file" ? `${short}.${ext};1` : short);
    if (child.kind === "dir") assignShortNames(child);
  }
}

function identifier(dir: DirNode, child: FileNode | DirNode, flavour: Flavour): Buffer {
  return flavour === "joliet" ? ucs2be(child.name) : Buffer.from(dir.shortNames.get(child.name) ?? "_", "latin1");
}

/** Directories breadth-first, children sorted by identifier: the path table order. */
function directoriesInOrder(root: DirNode, flavour: Flavour): DirNode[] {
  const out: DirNode[] = [root];
  for (let i = 0; i < out.length; i++) {
    const d = out[i] as DirNode;
    const subdirs = [...d.children.values()].filter((c): c is DirNode => c.kind === "dir");
    subdirs.sort((a, b) => Buffer.compare(identifier(d, a, flavour), identifier(d, b, flavour)));
    out.push(...subdirs);
  }
  return out;
}

function sortedChildren(dir: DirNode, flavour: Flavour): (FileNode | DirNode)[] {
  return [...dir.children.values()].sort((a, b) => Buffer.compare(identifier(dir, a, flavour), identifier(dir, b, flavour)));
}

function recordLength(idLen: number): number {
  return 33 + idLen + (idLen % 2 === 0 ? 1 : 0);
}

/** Bytes of a directory extent, records never crossing a sector boundary. */
function directorySize(dir: DirNode, flavour: Flavour): number {
  let size = 34 * 2;
  for (const c of sortedChildren(dir, flavour)) {
    const len = recordLength(identifier(dir, c, flavour).length);
    if ((size % SECTOR) + len > SECTOR) size = Math.ceil(size / SECTOR) * SECTOR;
    size += len;
  }
  return sectorsFor(size) * SECTOR;
}

function writeRecord(buf: Buffer, off: number, id: Buffer, extent: number, size: number, isDir: boolean, date: Date): number {
  const len = recordLength(id.length);
  buf[off] = len;
  buf[off + 1] = 0;
  both32(buf, off + 2, extent);
  both32(buf, off + 10, size);
  recordDate(buf, off + 18, date);
  buf[off + 25] = isDir ? 2 : 0;
  both16(buf, off + 28, 1);
  buf[off + 32] = id.length;
  id.copy(buf, off + 33);
  return len;
}

function writeDirectory(img: Buffer, dir: DirNode, flavour: Flavour, date: Date): void {
  const start = dir.extent[flavour] * SECTOR;
  const parent = dir.parent ?? dir;
  let off = start;
  off += writeRecord(img, off, Buffer.from([0]), dir.extent[flavour], dir.size[flavour], true, date);
  off += writeRecord(img, off, Buffer.from([1]), parent.extent[flavour], parent.size[flavour], true, date);
  for (const c of sortedChildren(dir, flavour)) {
    const id = identifier(dir, c, flavour);
    if (((off - start) % SECTOR) + recordLength(id.length) > SECTOR) off = start + Math.ceil((off - start) / SECTOR) * SECTOR;
    off += c.kind === "dir"
      ? writeRecord(img, off, id, c.extent[flavour], c.size[flavour], true, date)
      : writeRecord(img, off, id, c.extent, c.data.length, false, date);
  }
}

function pathTable(dirs: DirNode[], flavour: Flavour, bigEndian: boolean): Buffer {
  const parts: Buffer[] = [];
  for (const d of dirs) {
    const id = d.parent ? identifier(d.parent, d, flavour) : Buffer.from([0]);
    const rec = Buffer.alloc(8 + id.length + (id.length % 2));
    rec[0] = id.length;
    if (bigEndian) {
      rec.writeUInt32BE(d.extent[flavour], 2);
      rec.writeUInt16BE((d.parent ?? d).number, 6);
    } else {
      rec.writeUInt32LE(d.extent[flavour], 2);
      rec.writeUInt16LE((d.parent ?? d).number, 6);
    }
    id.copy(rec, 8);
    parts.push(rec);
  }
  return Buffer.concat(parts);
}

interface Layout { pathTableSize: number; lPath: number; mPath: number; root: DirNode }

function writeVolumeDescriptor(img: Buffer, sector: number, flavour: Flavour, volumeId: string, totalSectors: number, l: Layout, date: Date): void {
  const b = img.subarray(sector * SECTOR, (sector + 1) * SECTOR);
  b[0] = flavour === "primary" ? 1 : 2;
  b.write("CD001", 1, "latin1");
  b[6] = 1;
  const text = flavour === "joliet" ? ucs2Field : asciiField;
  text(b, 8, 32, "LINUX");
  text(b, 40, 32, volumeId);
  both32(b, 80, totalSectors);
  if (flavour === "joliet") b.write("%/E", 88, "latin1"); // UCS-2 level 3
  both16(b, 120, 1);
  both16(b, 124, 1);
  both16(b, 128, SECTOR);
  both32(b, 132, l.pathTableSize);
  b.writeUInt32LE(l.lPath, 140);
  b.writeUInt32BE(l.mPath, 148);
  writeRecord(b, 156, Buffer.from([0]), l.root.extent[flavour], l.root.size[flavour], true, date);
  text(b, 190, 128, "");
  text(b, 318, 128, "");
  text(b, 446, 128, "");
  text(b, 574, 128, "TSLIMA");
  text(b, 702, 37, "");
  text(b, 739, 37, "");
  text(b, 776, 37, "");
  volumeDate(b, 813, date);
  volumeDate(b, 830, date);
  volumeDate(b, 847, undefined);
  volumeDate(b, 864, undefined);
  b[881] = 1;
}

export function isoImage(volumeId: string, files: Record<string, string | Buffer>, opts: IsoOptions = {}): Buffer {
  if (!/^[A-Za-z0-9_-]{1,16}$/.test(volumeId)) throw new Error(`ISO volume id ${JSON.stringify(volumeId)} must be 1-16 of A-Z a-z 0-9 _ -`);
  const date = opts.date ?? DEFAULT_DATE;
  const root = buildTree(files);
  assignShortNames(root);
  const trees = { primary: directoriesInOrder(root, "primary"), joliet: directoriesInOrder(root, "joliet") };

  // sectors 0-15 system area, 16 PVD, 17 Joliet SVD, 18 terminator, then path tables
  let next = 19;
  const layouts = {} as Record<Flavour, Layout>;
  const tables = {} as Record<Flavour, { l: Buffer; m: Buffer }>;
  for (const flavour of ["primary", "joliet"] as const) {
    trees[flavour].forEach((d, i) => { d.number = i + 1; });
    for (const d of trees[flavour]) d.size[flavour] = directorySize(d, flavour);
    // path table size does not depend on extents, so size it first
    const size = pathTable(trees[flavour], flavour, false).length;
    const lPath = next;
    const mPath = lPath + sectorsFor(size);
    next = mPath + sectorsFor(size);
    layouts[flavour] = { pathTableSize: size, lPath, mPath, root };
  }
  for (const flavour of ["primary", "joliet"] as const) {
    trees[flavour].forEach((d, i) => { d.number = i + 1; });
    for (const d of trees[flavour]) {
      d.extent[flavour] = next;
      next += d.size[flavour] / SECTOR;
    }
    tables[flavour] = { l: pathTable(trees[flavour], flavour, false), m: pathTable(trees[flavour], flavour, true) };
  }
  const allFiles: FileNode[] = [];
  const collect = (d: DirNode) => {
    for (const c of sortedChildren(d, "joliet")) {
      if (c.kind === "file") allFiles.push(c);
      else collect(c);
    }
  };
  collect(root);
  for (const f of allFiles) {
    f.extent = f.data.length === 0 ? 0 : next;
    next += sectorsFor(f.data.length);
  }
  const total = next;

  const img = Buffer.alloc(total * SECTOR);
  writeVolumeDescriptor(img, 16, "primary", volumeId, total, layouts.primary, date);
  writeVolumeDescriptor(img, 17, "joliet", volumeId, total, layouts.joliet, date);
  img[18 * SECTOR] = 255;
  img.write("CD001", 18 * SECTOR + 1, "latin1");
  img[18 * SECTOR + 6] = 1;
  for (const flavour of ["primary", "joliet"] as const) {
    tables[flavour].l.copy(img, layouts[flavour].lPath * SECTOR);
    tables[flavour].m.copy(img, layouts[flavour].mPath * SECTOR);
    for (const d of trees[flavour]) writeDirectory(img, d, flavour, date);
  }
  for (const f of allFiles) f.data.copy(img, f.extent * SECTOR);
  return img;
}
