// Lint rules (ESLint flat config with typescript-eslint): the recommended
// sets for the TypeScript sources, tests and benches, and for the dashboard's
// browser JavaScript. `npm run lint`; CI runs it with the type-check.
import js from "@eslint/js";
import globals from "globals";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**", "coverage/**", ".tmp/**", "server/dashboard/public/*.bundle.js"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ["**/*.ts", "**/*.mts"],
    languageOptions: { globals: { ...globals.node } },
    rules: {
      // Unused names are errors, except the ones a signature needs and says so with a leading underscore.
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" }],
    },
  },
  {
    // Tests and benches read untyped JSON off the wire.
    files: ["test/**", "bench/**"],
    rules: { "@typescript-eslint/no-explicit-any": "off" },
  },
  {
    files: ["**/*.js", "**/*.mjs", "**/*.cjs"],
    languageOptions: { globals: { ...globals.node } },
  },
  {
    files: ["server/dashboard/public/**/*.js"],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    files: ["server/dashboard/public/mic-worklet.js"],
    languageOptions: { globals: { ...globals.audioWorklet } },
  },
);
