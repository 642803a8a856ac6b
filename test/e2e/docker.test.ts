/**
 * template:docker end to end: rootless dockerd (run by the VM user through rootlesskit, networking by
 * slirp4netns), as Lima's docker.yaml runs it. One VM; the checks are in docker-suite.ts.
 */
import { dockerSuite } from "./docker-suite.js";

dockerSuite({ template: "docker", rootless: true });
