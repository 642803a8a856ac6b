/**
 * The docker context of a docker instance, with the host's real docker CLI (context commands need no
 * daemon) in a throw-away DOCKER_CONFIG: start creates tslima-NAME and makes it current, remembering
 * the context before; a second start keeps that record; delete switches back and removes it.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureDockerContext, removeDockerContext } from "../../../src/instance/docker-context.js";
import { instancePaths } from "../../../src/store/paths.js";

const hasDocker = spawnSync("docker", ["--version"]).status === 0;

test("start makes tslima-NAME current (previous remembered), --activate=false only creates, delete switches back", { skip: hasDocker ? false : "needs the docker CLI" }, async (t) => {
  const root = mkdtempSync(join(tmpdir(), "tslima-dctx-"));
  const server = createServer();
  t.after(() => {
    server.close();
    rmSync(root, { recursive: true, force: true });
  });
  const dockerConfig = join(root, "docker");
  const env: NodeJS.ProcessEnv = { ...process.env, DOCKER_CONFIG: dockerConfig };
  delete env.DOCKER_CONTEXT;
  delete env.DOCKER_HOST;
  const docker = (...args: string[]) => spawnSync("docker", args, { env, encoding: "utf8" });
  const paths = instancePaths(join(root, "home"), "dk");
  mkdirSync(paths.dir, { recursive: true });
  const socket = join(root, "docker.sock");
  await new Promise<void>((resolve) => server.listen(socket, resolve));
  assert.equal(docker("context", "create", "before", "--docker", "host=unix:///nowhere.sock").status, 0);
  assert.equal(docker("context", "use", "before").status, 0);
  const said: string[] = [];
  const say = (m: string) => said.push(m);

  await ensureDockerContext(paths, socket, { env, say, activate: false });
  assert.equal(docker("context", "show").stdout.trim(), "before", "--activate=false leaves the current context");
  assert.equal(docker("context", "inspect", "tslima-dk", "--format", "{{.Endpoints.docker.Host}}").stdout.trim(), `unix://${socket}`);

  await ensureDockerContext(paths, socket, { env, say });
  assert.equal(docker("context", "show").stdout.trim(), "tslima-dk");
  await ensureDockerContext(paths, socket, { env: { ...env, DOCKER_CONFIG: join(root, "elsewhere") }, say });
  assert.equal(docker("context", "show").stdout.trim(), "tslima-dk", "a second start uses the recorded config and keeps the previous context");

  await removeDockerContext(paths, { ...process.env, DOCKER_CONFIG: join(root, "elsewhere") }, say);
  assert.equal(docker("context", "show").stdout.trim(), "before", "delete makes the previous context current again");
  assert.notEqual(docker("context", "inspect", "tslima-dk").status, 0, "and removes tslima-dk");
  assert.ok(said.some((m) => m.includes("is now current (it was before)")), said.join("\n"));
});
