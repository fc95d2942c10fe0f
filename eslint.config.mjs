import eslint from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/", "out/", "node_modules/", "tools/model/.work/", ".test-artifacts/", ".gpu-kit/", "test/e2e/workspace/", ".cache/"] },
  eslint.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      globals: { console: "readonly", process: "readonly" },
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // A number in a template prints as its decimal digits, which is what every message and table here
      // wants; booleans, nullish values, objects and `any` still need an explicit conversion.
      "@typescript-eslint/restrict-template-expressions": ["error", { allowNumber: true }],
      "@typescript-eslint/no-floating-promises": [
        "error",
        {
          // node:test's test() and describe() return promises that never reject (the runner reports
          // failures itself) and must not be awaited at the top level of a file, or the file's tests run
          // one after another instead of being collected first. Subtests (t.test) are still checked.
          allowForKnownSafeCalls: [{ from: "package", name: ["test", "it", "describe", "suite"], package: "node:test" }],
        },
      ],
    },
  },
  // Plain JavaScript (build and packaging scripts) is outside the TypeScript projects.
  { files: ["**/*.js", "**/*.mjs", "**/*.cjs"], ...tseslint.configs.disableTypeChecked },
);
