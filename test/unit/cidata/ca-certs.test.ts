import { test } from "node:test";
import assert from "node:assert/strict";
import { parse } from "yaml";
import { userData } from "../../../src/cidata/index.js";
import { caCertsDoc } from "../../../src/cidata/userdata.js";
import { testConfig } from "../support/config.js";
import { sampleContext } from "./sample.js";

const PEM = (n: string) => `-----BEGIN CERTIFICATE-----\n${n}\n-----END CERTIFICATE-----`;

test("caCerts: files first, then certs, each ending in one newline; remove_defaults only when asked", () => {
  const config = testConfig({ extra: { caCerts: { certs: [PEM("B")], removeDefaults: false } } });
  assert.deepEqual(caCertsDoc(config, [`${PEM("A")}\n\n`]), { trusted: [`${PEM("A")}\n`, `${PEM("B")}\n`] });
  const remove = testConfig({ extra: { caCerts: { removeDefaults: true } } });
  assert.deepEqual(caCertsDoc(remove), { remove_defaults: true });
});

test("caCerts: nothing to do gives no ca_certs in user-data", () => {
  assert.equal(caCertsDoc(testConfig()), undefined);
  assert.equal(caCertsDoc(testConfig({ extra: { caCerts: { removeDefaults: false, certs: [], files: ["/x.pem"] } } })), undefined);
  const doc = parse(userData(testConfig(), { ...sampleContext(), caCertFiles: [] })) as Record<string, unknown>;
  assert.equal(doc.ca_certs, undefined);
});

test("caCerts.files' texts from the context reach user-data's ca_certs", () => {
  const config = testConfig({ extra: { caCerts: { removeDefaults: true } } });
  const doc = parse(userData(config, { ...sampleContext(), caCertFiles: [PEM("FromFile")] })) as { ca_certs: unknown };
  assert.deepEqual(doc.ca_certs, { remove_defaults: true, trusted: [`${PEM("FromFile")}\n`] });
});
