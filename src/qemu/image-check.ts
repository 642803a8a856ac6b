import { TslimaError } from "../errors.js";
import { qemuImgInfoJson } from "./img.js";
import { describeProblem, imageInfoProblems, qcow2References, sniffImage, type ImageProblem, type TrustedFormat } from "../images/image-trust.js";
import { readImageHead } from "../images/image-head.js";

/** How an error names the image: what the user gave (a location, a file) and the file it is on the host. */
export interface ImageOrigin {
  name: string;
  path: string;
}

function refuse(origin: ImageOrigin, problems: ImageProblem[]): never {
  const where = origin.name === origin.path ? origin.path : `${origin.name} (${origin.path})`;
  const fields = [...new Set(problems.map((p) => p.field))];
  const [first] = problems;
  throw new TslimaError("IMAGE_UNSAFE", `image ${where} refused: ${first ? describeProblem(first) : "unsafe"}${fields.length > 1 ? ` (fields: ${fields.join(", ")})` : ""}`, {
    hint:
      first?.field === "format"
        ? `convert it to qcow2 (\`qemu-img convert -O qcow2 ${origin.path} NEW.qcow2\`) after checking that \`qemu-img info ${origin.path}\` names no other file`
        : `tslima only takes self-contained images; if you trust the image and the file it names, flatten it into one file (\`qemu-img convert -O qcow2 ${origin.path} NEW.qcow2\`) and use that`,
  });
}

/**
 * Checks an image that came from outside before anything boots or copies it for a guest, and
 * returns its format. Throws IMAGE_UNSAFE when it names a host file or is in another format. The
 * header is read first (qemu-img opens nothing an image names); then `qemu-img info -U -f FORMAT`.
 * `known`: the format the file was made in (an additional disk's record), which its bytes cannot change.
 */
export async function checkUntrustedImage(file: string, origin: ImageOrigin = { name: file, path: file }, known?: TrustedFormat): Promise<TrustedFormat> {
  // a raw disk tslima made holds what its guest wrote, and is raw whatever its first bytes say
  if (known === "raw") return known;
  const head = await readImageHead(file);
  const format = known ?? sniffImage(head);
  if (format !== "qcow2" && format !== "raw") refuse(origin, [{ field: "format", value: format }]);
  if (known === "qcow2" && sniffImage(head) !== "qcow2") refuse(origin, [{ field: "format", value: `not qcow2 (it was made as qcow2)` }]);
  if (format === "qcow2") {
    const refs = qcow2References(head);
    if (refs.length > 0) refuse(origin, refs);
  }
  const problems = imageInfoProblems(await qemuImgInfoJson(file, { shared: true, format }));
  if (problems.length > 0) refuse(origin, problems);
  return format;
}
