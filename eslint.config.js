// @ts-check
import js from "@eslint/js";
import tseslint from "typescript-eslint";
import { PLANNERS } from "./.dependency-cruiser.mjs";

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
    // Planners are pure (see .dependency-cruiser.mjs for their list and the import rules).
    files: PLANNERS,
    rules: {
      "no-restricted-properties": [
        "error",
        { object: "process", property: "env", message: "planners are pure: take the value as a parameter from the caller" },
      ],
    },
  },
  {
    files: ["eslint.config.js", ".dependency-cruiser.mjs"],
    extends: [tseslint.configs.disableTypeChecked],
  },
);
