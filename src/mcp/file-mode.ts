/**
 * list_directory's `mode` as Lima gives it (pure): Go's fs.FileMode, which keeps the permission
 * bits of POSIX st_mode but marks the file type and the setuid/setgid/sticky bits with high bits of
 * its own (a directory 0755 is 2147484141, not 16877).
 */
const S_IFMT = 0o170000;

const TYPE_BITS: Record<number, number> = {
  0o040000: 2 ** 31, // directory
  0o120000: 2 ** 27, // symlink
  0o010000: 2 ** 25, // named pipe
  0o140000: 2 ** 24, // socket
  0o060000: 2 ** 26, // block device
  0o020000: 2 ** 26 + 2 ** 21, // character device
};

export function goFileMode(posixMode: number): number {
  let m = posixMode & 0o777;
  m += TYPE_BITS[posixMode & S_IFMT] ?? 0;
  if (posixMode & 0o4000) m += 2 ** 23;
  if (posixMode & 0o2000) m += 2 ** 22;
  if (posixMode & 0o1000) m += 2 ** 20;
  return m;
}
