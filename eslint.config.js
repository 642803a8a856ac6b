// @ts-check
import js from "@eslint/js";
import tseslint from "typescript-eslint";
import { PURE } from "./.dependency-cruiser.mjs";

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**", "bin/**", "scripts/*.js", "test/fixtures/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      "@typescript-eslint/no-floating-promises": [
        "error",
        { allowForKnownSafeCalls: [{ from: "package", package: "node:test", name: ["test", "it", "describe", "suite", "before", "after", "beforeEach", "afterEach"] }] },
      ],
      "@typescript-eslint/no-misused-promises": "error",
      "@typescript-eslint/await-thenable": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
    },
  },
  {
    // Pure code: the pure folders and files declared in LAYERS (.dependency-cruiser.mjs, which also
    // forbids their host modules: node:fs, node:child_process, node:os, ...).
    files: PURE.files,
    ignores: PURE.ignores,
    rules: {
      "no-restricted-properties": [
        "error",
        ...["env", "cwd", "platform", "arch", "getuid", "getgid"].map((property) => ({
          object: "process",
          property,
          message: "pure code does not read the host: take the value as a parameter from the caller",
        })),
      ],
      "no-restricted-imports": [
        "error",
        ...["node:net", "net"].map((name) => ({
          name,
          allowImportNames: ["isIP", "isIPv4", "isIPv6"],
          message: "pure code opens no sockets: only isIP/isIPv4/isIPv6 of node:net",
        })),
      ],
    },
  },
  {
    files: ["eslint.config.js", ".dependency-cruiser.mjs"],
    extends: [tseslint.configs.disableTypeChecked],
  },
);
