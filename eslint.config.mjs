// ESLint flat config: typescript-eslint's type-aware recommended rules on every TypeScript file
// (type information from tsconfig.json through the project service), the plain recommended rules
// on the JavaScript build and benchmark scripts, and eslint-config-prettier last so that layout
// is Prettier's alone (`npm run lint` runs `prettier --check` after ESLint).
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  // test/package/readme-app is compiled in a throwaway app against the packed package, not in this project.
  { ignores: ['dist/', 'coverage/', 'docs/api/', 'test-artifacts/', '.tmp/', 'test/package/readme-app/', 'test/package/tutorial-app/'] },
  { linterOptions: { reportUnusedDisableDirectives: 'error' } },
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // A leading underscore is this codebase's mark for a parameter or binding kept on purpose (interface shape, Nest hooks).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // `async` without `await` is deliberate where a Promise-returning interface is implemented synchronously: a throw becomes a rejection.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      // Tests assert on `any` by design: the HTTP harness's parsed JSON bodies and jest's asymmetric matchers (`expect.any(...)`).
      '@typescript-eslint/no-unsafe-member-access': 'off',
      // Same cause: `expect.any(Number)` / `expect.objectContaining(...)` are typed `any` inside expected objects.
      '@typescript-eslint/no-unsafe-assignment': 'off',
      // Same cause: a parsed JSON field or an asymmetric matcher passed straight to an assertion.
      '@typescript-eslint/no-unsafe-argument': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    extends: [js.configs.recommended, tseslint.configs.disableTypeChecked],
    languageOptions: { globals: { ...globals.node } },
  },
  prettier,
);
