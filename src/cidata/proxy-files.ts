import { shQuote } from "./shell.js";

/** pam_env's file, which gets a block of the proxy variables. */
export const ETC_ENVIRONMENT = "/etc/environment";
/** apt's configuration directory. */
export const APT_CONF_DIR = "/etc/apt/apt.conf.d";
/** apt's proxy settings from the guest's proxy variables (written only when there are some). */
export const APT_PROXY_PATH = `${APT_CONF_DIR}/90-tslima-proxy`;
const ENV_BEGIN = "# tslima-proxy begin";
const ENV_END = "# tslima-proxy end";

/** A value a line-based file can hold as it is: no control character, no double quote. */
function plain(v: string): boolean {
  return !/[\p{Cc}"]/u.test(v);
}

/**
 * The bootcmd entry that gives the guest its proxy variables on every full boot (pure): the block of
 * the previous boot is taken out of /etc/environment (read by pam_env: ssh logins, sudo, su) and
 * apt's proxy file removed; then, when there are proxies, the block is appended again and apt's file
 * written (`Acquire::{http,https,ftp}::Proxy`; apt reads no_proxy from neither). A value with a
 * control character or a double quote is left out of both files (login shells still get it from
 * env.sh, which quotes it).
 */
export function proxyBootCommand(proxies: Readonly<Record<string, string>>): string {
  const lines = Object.entries(proxies).filter(([, v]) => plain(v));
  const out = [`sed -i '/^${ENV_BEGIN}$/,/^${ENV_END}$/d' ${ETC_ENVIRONMENT} 2>/dev/null; rm -f ${APT_PROXY_PATH}`];
  if (lines.length > 0) {
    out.push(`printf '%s\\n' ${[ENV_BEGIN, ...lines.map(([k, v]) => `${k}=${v}`), ENV_END].map(shQuote).join(" ")} >>${ETC_ENVIRONMENT}`);
  }
  const apt = (["http", "https", "ftp"] as const).flatMap((s) => {
    const v = proxies[`${s}_proxy`];
    return v !== undefined && plain(v) ? [`Acquire::${s}::Proxy "${v}";`] : [];
  });
  if (apt.length > 0) out.push(`if [ -d ${APT_CONF_DIR} ]; then printf '%s\\n' ${apt.map(shQuote).join(" ")} >${APT_PROXY_PATH}; fi`);
  return `${out.join("\n")}\n`;
}
