/**
 * Reads Lima's (logrus's) text log lines back, for tests of what `limactl` prints on stderr:
 * `time="..." level=warning msg="..." key=value`. A line in no such form is `{ level: "", msg: line }`.
 */
export interface LogLine {
  level: string;
  msg: string;
  fields: Record<string, string>;
}

/** One Go-quoted or bare value at the start of `s`: the value and the rest after it. */
function value(s: string): [string, string] {
  if (!s.startsWith('"')) {
    const end = s.indexOf(" ");
    return end < 0 ? [s, ""] : [s.slice(0, end), s.slice(end + 1)];
  }
  let out = "";
  let i = 1;
  for (; i < s.length && s[i] !== '"'; i++) {
    if (s[i] === "\\") {
      i++;
      const c = s[i];
      out += c === "n" ? "\n" : c === "t" ? "\t" : c === "r" ? "\r" : (c ?? "");
    } else out += s[i];
  }
  return [out, s.slice(i + 2)];
}

export function logLines(stderr: string): LogLine[] {
  return stderr
    .split("\n")
    .filter((l) => l !== "")
    .map((line) => {
      if (!line.startsWith("time=")) return { level: "", msg: line, fields: {} };
      const fields: Record<string, string> = {};
      let rest = line;
      while (rest !== "") {
        const eq = rest.indexOf("=");
        if (eq < 0) break;
        const key = rest.slice(0, eq);
        const [v, after] = value(rest.slice(eq + 1));
        fields[key] = v;
        rest = after;
      }
      const { level = "", msg = "", time: _t, ...others } = fields;
      return { level, msg, fields: others };
    });
}

/** The `level: msg` of each log line, which tests compare whole. */
export function logSummary(stderr: string): string[] {
  return logLines(stderr).map((l) => (l.level === "" ? l.msg : `${l.level}: ${l.msg}`));
}

/** Log lines in tslima's own style (`error:`/`hint:`/`code:` for a fatal line), for checks shared by both names. */
export function asOwnStyle(stderr: string): string {
  return logLines(stderr)
    .flatMap((l) => {
      if (l.level === "fatal") return [`error: ${l.msg}`, ...(l.fields.hint !== undefined ? [`hint: ${l.fields.hint}`] : []), ...(l.fields.code !== undefined ? [`code: ${l.fields.code}`] : [])];
      return [l.level === "" || l.level === "info" ? l.msg : `${l.level}: ${l.msg}`];
    })
    .join("\n");
}
