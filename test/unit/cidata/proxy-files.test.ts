import { test } from "node:test";
import assert from "node:assert/strict";
import { proxyBootCommand } from "../../../src/cidata/proxy-files.js";

const IP = "192.168.5.2";

test("proxyBootCommand: without proxies it only takes the last boot's away", () => {
  const cmd = proxyBootCommand({});
  assert.equal(cmd, "sed -i '/^# tslima-proxy begin$/,/^# tslima-proxy end$/d' /etc/environment 2>/dev/null; rm -f /etc/apt/apt.conf.d/90-tslima-proxy\n");
});

test("proxyBootCommand: /etc/environment block and apt's Acquire lines; unsafe values left out of both", () => {
  const cmd = proxyBootCommand({ http_proxy: `http://${IP}:3128`, HTTP_PROXY: `http://${IP}:3128`, no_proxy: "a,b", https_proxy: 'http://x"y', ftp_proxy: "ftp://a\nb" });
  const lines = cmd.split("\n");
  assert.equal(lines.length, 4);
  assert.equal(lines[1], `printf '%s\\n' '# tslima-proxy begin' 'http_proxy=http://${IP}:3128' 'HTTP_PROXY=http://${IP}:3128' 'no_proxy=a,b' '# tslima-proxy end' >>/etc/environment`);
  assert.equal(lines[2], `if [ -d /etc/apt/apt.conf.d ]; then printf '%s\\n' 'Acquire::http::Proxy "http://${IP}:3128";' >/etc/apt/apt.conf.d/90-tslima-proxy; fi`);
});
