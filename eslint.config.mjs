// ESLint (flat config): JavaScript's recommended rules and typescript-eslint's, over every source file
// of the project (the injector program included). Formatting is Prettier's job, not ESLint's.
import js from "@eslint/js";
import globals from "globals";
import tseslint from "typescript-eslint";

export default tseslint.config(
    { ignores: ["node_modules/**", "policies/node_modules/**", "dist/**", "out/**", "coverage/**"] },
    js.configs.recommended,
    ...tseslint.configs.recommended,
    {
        languageOptions: { globals: { ...globals.node } },
        linterOptions: { reportUnusedDisableDirectives: "error" },
        rules: {
            // Unused imports and variables are errors; a leading underscore marks one that is unused on purpose.
            "@typescript-eslint/no-unused-vars": [
                "error",
                { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" },
            ],
            // Test and harness code reads untyped Kubernetes objects; the program's own types stay strict (tsc).
            "@typescript-eslint/no-explicit-any": "off",
            // tools/*.cjs and the Pulumi runtime load CommonJS on purpose.
            "@typescript-eslint/no-require-imports": "off",
        },
    },
);
