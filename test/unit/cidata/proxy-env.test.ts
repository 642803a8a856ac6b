import { test } from "node:test";
import assert from "node:assert/strict";
import { guestEnv, guestProxyEnv, hostProxyEnv, rewriteLoopback } from "../../../src/cidata/proxy-env.js";

const IP = "192.168.5.2";

const rewrites: [string, string][] = [
  ["http://localhost", `http://${IP}`],
  ["http://localhost:3128", `http://${IP}:3128`],
  ["http://LOCALHOST:3128/", `http://${IP}:3128/`],
  ["http://127.0.0.1", `http://${IP}`],
  ["https://127.0.0.1:8080/path?q=1", `https://${IP}:8080/path?q=1`],
  ["socks5://127.1.2.3:1080", `socks5://${IP}:1080`],
  ["http://user:p%40ss@localhost:3128", `http://user:p%40ss@${IP}:3128`],
  ["http://[::1]:3128", `http://${IP}:3128`],
  ["http://[::1]", `http://${IP}`],
  ["http://proxy.localhost:8080", `http://${IP}:8080`],
  // not the host's loopback: as it was
  ["http://proxy.example.com:3128", "http://proxy.example.com:3128"],
  ["http://10.0.0.1:3128", "http://10.0.0.1:3128"],
  ["http://127.0.0.256:3128", "http://127.0.0.256:3128"],
  ["http://[::2]:3128", "http://[::2]:3128"],
  ["http://localhost.example.com", "http://localhost.example.com"],
  // no scheme://, no host to rewrite (as Lima's URL parser sees it)
  ["localhost:3128", "localhost:3128"],
  ["127.0.0.1:3128", "127.0.0.1:3128"],
  ["://localhost:8080", "://localhost:8080"],
];

for (const [from, to] of rewrites) {
  test(`rewriteLoopback: ${from}`, () => {
    assert.equal(rewriteLoopback(from, IP), to);
  });
}

test("hostProxyEnv keeps the eight proxy names, both cases, empty values too, nothing else", () => {
  const env = { http_proxy: "http://a:1", HTTPS_PROXY: "http://b:2", no_proxy: "", all_proxy: "socks5://c:3", ALL_PROXY: "x", PATH: "/bin", ftp_proxy: undefined };
  assert.deepEqual(hostProxyEnv(env), { http_proxy: "http://a:1", no_proxy: "", HTTPS_PROXY: "http://b:2" });
});

const cases: { name: string; config: Record<string, string>; propagate: boolean; host: Record<string, string>; want: Record<string, string> }[] = [
  {
    name: "both cases of the host's names reach the guest in both cases, loopback made the host's address, no_proxy as it is",
    config: {},
    propagate: true,
    host: { http_proxy: "http://localhost:3128", HTTPS_PROXY: "http://127.0.0.1:3129", no_proxy: "localhost,127.0.0.1,.internal" },
    want: {
      http_proxy: `http://${IP}:3128`, HTTP_PROXY: `http://${IP}:3128`,
      https_proxy: `http://${IP}:3129`, HTTPS_PROXY: `http://${IP}:3129`,
      no_proxy: "localhost,127.0.0.1,.internal", NO_PROXY: "localhost,127.0.0.1,.internal",
    },
  },
  { name: "propagateProxyEnv: false takes nothing from the host", config: {}, propagate: false, host: { http_proxy: "http://p:1" }, want: {} },
  {
    name: "propagateProxyEnv: false keeps env:'s proxies (rewritten, both cases)",
    config: { HTTP_PROXY: "http://localhost:8080", FOO: "x" },
    propagate: false,
    host: { http_proxy: "http://p:1" },
    want: { http_proxy: `http://${IP}:8080`, HTTP_PROXY: `http://${IP}:8080` },
  },
  {
    name: "the host's value replaces env:'s of the same name, as in Lima",
    config: { http_proxy: "http://from-yaml:1", ftp_proxy: "ftp://from-yaml:2" },
    propagate: true,
    host: { http_proxy: "http://from-host:1" },
    want: { http_proxy: "http://from-host:1", HTTP_PROXY: "http://from-host:1", ftp_proxy: "ftp://from-yaml:2", FTP_PROXY: "ftp://from-yaml:2" },
  },
  {
    name: "an empty host value takes env:'s away",
    config: { http_proxy: "http://from-yaml:1" },
    propagate: true,
    host: { http_proxy: "" },
    want: {},
  },
  {
    name: "lower case wins over upper case when both are set",
    config: {},
    propagate: true,
    host: { https_proxy: "http://lower:1", HTTPS_PROXY: "http://upper:2" },
    want: { https_proxy: "http://lower:1", HTTPS_PROXY: "http://lower:1" },
  },
  {
    name: "upper case env: fills lower case; a host upper case value overrides env:'s upper case only",
    config: { NO_PROXY: ".corp", http_proxy: "http://yaml:1" },
    propagate: true,
    host: { HTTP_PROXY: "http://host:2" },
    want: { http_proxy: "http://yaml:1", HTTP_PROXY: "http://yaml:1", no_proxy: ".corp", NO_PROXY: ".corp" },
  },
  { name: "no proxies anywhere", config: { FOO: "1" }, propagate: true, host: {}, want: {} },
];

for (const c of cases) {
  test(`guestProxyEnv: ${c.name}`, () => {
    assert.deepEqual(guestProxyEnv(c.config, c.propagate, c.host, IP), c.want);
  });
}

test("guestEnv: env: as it is without proxies (same order); its proxy entries replaced by the computed ones", () => {
  const env = { B: "1", A: "2" };
  assert.deepEqual(Object.entries(guestEnv(env, {})), [["B", "1"], ["A", "2"]]);
  assert.deepEqual(guestEnv({ A: "1", HTTP_PROXY: "http://localhost:1" }, { http_proxy: "x", HTTP_PROXY: "x" }), { A: "1", http_proxy: "x", HTTP_PROXY: "x" });
});
