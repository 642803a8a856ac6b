/**
 * Guest-side fields in the cidata (issue 29): caCerts.files with removeDefaults (only the host's CA
 * is trusted), dns with hostResolver disabled (eth0's static nameservers), and provision mode yq
 * (a new JSON file with owner and permissions, an existing YAML file edited keeping its comment).
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import type { FieldFragment } from "./fragment.js";

const CA_CN = "tslima-e2e-fields-ca";
const STATIC_DNS = "192.0.2.53";

export const fragment: FieldFragment = {
  title: "caCerts.files + removeDefaults, dns, provision mode yq",
  prepare(root) {
    execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", `/CN=${CA_CN}`, "-keyout", join(root, "ca.key"), "-out", join(root, "ca.pem")], { stdio: "ignore" });
  },
  yaml: (root) => `
caCerts:
  removeDefaults: true
  files:
  - ${JSON.stringify(join(root, "ca.pem"))}
hostResolver:
  enabled: false
dns:
- 10.0.2.3
- ${STATIC_DNS}
provision:
- mode: data
  path: /etc/tslima-e2e/app.yaml
  content: |
    # kept by the edit
    name: app
- mode: yq
  path: /etc/tslima-e2e/app.yaml
  expression: .port = 8080
- mode: yq
  path: /etc/tslima-e2e/conf.json
  expression: '.user = "{{.User}}" | .list += ["x"]'
  owner: "{{.User}}"
  permissions: "640"
`,
  async check(ctx) {
    const sh = (script: string) => ctx.sh(script);
    // removeDefaults: Debian's CAs are gone from the bundle; the one CA is the host file's, which python's default context trusts
    assert.equal(await sh("grep -c 'BEGIN CERTIFICATE' /etc/ssl/certs/ca-certificates.crt"), "1");
    const trusted = await sh(`python3 -c 'import ssl; print([dict(x[0] for x in c["subject"])["commonName"] for c in ssl.create_default_context().get_ca_certs()])'`);
    assert.equal(trusted, `['${CA_CN}']`);

    // dns: eth0's static nameservers, next to the DHCP one
    const dns = await sh("resolvectl dns eth0");
    assert.match(dns, new RegExp(STATIC_DNS.replaceAll(".", "\\.")), dns);

    // yq: the data step's file edited after it (comment kept), a new JSON file with owner and permissions
    assert.equal(await sh("cat /etc/tslima-e2e/app.yaml"), "# kept by the edit\nname: app\nport: 8080");
    const user = await sh("id -un");
    assert.deepEqual(JSON.parse(await sh("cat /etc/tslima-e2e/conf.json")), { user, list: ["x"] });
    assert.equal(await sh("stat -c '%U %G %a' /etc/tslima-e2e/conf.json"), `${user} root 640`);
    assert.equal(await sh("stat -c '%U %a' /etc/tslima-e2e/app.yaml"), "root 644");
  },
};
