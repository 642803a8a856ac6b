/**
 * template:docker-rootful end to end: dockerd run by root, as Lima's docker-rootful.yaml runs it. One
 * VM; the same checks as docker.test.ts (docker-suite.ts), the chown seen with the container's own ids.
 */
import { dockerSuite } from "./docker-suite.js";

dockerSuite({ template: "docker-rootful", rootless: false });
