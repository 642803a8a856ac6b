import { test } from "node:test";
import assert from "node:assert/strict";
import { executeTemplate, TemplateSyntaxError } from "../../../src/lang/gotemplate.js";

const data = { Name: "vm", Param: { a: "1", empty: "", on: "true" }, HostOS: "linux" };

test("fields, trim markers and conditionals as in Go templates", () => {
  assert.equal(executeTemplate("x{{.Name}}-{{.Param.a}}", data), "xvm-1");
  assert.equal(executeTemplate("a  {{- .Name -}}  \n b", data), "avmb");
  assert.equal(executeTemplate("{{if .Param.empty}}yes{{else}}no{{end}}", data), "no");
  assert.equal(executeTemplate('{{if eq .HostOS "darwin"}}mac{{else if eq .HostOS "linux"}}lin{{else}}other{{end}}', data), "lin");
  assert.equal(executeTemplate("{{if not (and .Param.a .Param.empty)}}ok{{end}}", data), "ok");
  assert.equal(executeTemplate("{{if or .Param.empty .Param.on}}{{.Param.on}}{{end}}", data), "true");
  assert.equal(executeTemplate("{{/* note */}}{{.Missing}}", data), "<no value>");
  assert.equal(executeTemplate("no actions", data), "no actions");
});

test("unsupported constructs throw TemplateSyntaxError", () => {
  for (const t of ["{{range .Param}}x{{end}}", "{{if .Name}}open", "{{.Name | printf}}", "{{end}}", "{{.Name"]) {
    assert.throws(() => executeTemplate(t, data), TemplateSyntaxError, t);
  }
});
