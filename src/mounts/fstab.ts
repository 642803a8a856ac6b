/**
 * fstab / /proc/mounts field escaping: space, tab, newline and backslash become octal escapes
 * (\040, \011, \012, \134), the way getmntent(3) reads them and the kernel prints them.
 * Every other byte (quotes, non-ASCII UTF-8) is left as is.
 */
export function fstabEscape(field: string): string {
  return field.replace(/[ \t\n\\]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, "0")}`);
}

/** The reverse of fstabEscape: decodes any \NNN octal escape. */
export function fstabUnescape(field: string): string {
  const bytes: number[] = [];
  const raw = Buffer.from(field, "utf8");
  for (let i = 0; i < raw.length; i++) {
    const b = raw[i] as number;
    if (b === 0x5c && i + 3 < raw.length && /^[0-7]{3}$/.test(raw.subarray(i + 1, i + 4).toString("latin1"))) {
      bytes.push(parseInt(raw.subarray(i + 1, i + 4).toString("latin1"), 8));
      i += 3;
    } else {
      bytes.push(b);
    }
  }
  return Buffer.from(bytes).toString("utf8");
}
