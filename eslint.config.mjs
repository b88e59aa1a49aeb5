// Lint: ESLint's recommended rules and typescript-eslint's, for the extension, the webview, the
// tests and the scripts. `npm run lint`; CI runs it beside the typecheck and the format check.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'examples/**/bin/**', '**/*.d.ts', 'scripts/msgpackr-extract-stub/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2022, sourceType: 'module', globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', caughtErrors: 'none' }],
      // Decoders and previews match control characters on purpose (to escape them).
      'no-control-regex': 'off',
      // An empty catch says "this failure is expected and harmless" (a comment says why).
      'no-empty': ['error', { allowEmptyCatch: true }],
    },
  },
  // TypeScript checks names itself.
  { files: ['**/*.ts'], rules: { 'no-undef': 'off' } },
  { files: ['webview/**', 'test/helpers/children/fake-host.js'], languageOptions: { globals: { ...globals.browser } } },
  // Tests load fixtures and reach into objects the way tests must.
  {
    files: ['test/**'],
    rules: { '@typescript-eslint/no-explicit-any': 'off', '@typescript-eslint/no-this-alias': 'off', '@typescript-eslint/no-require-imports': 'off' },
  },
  { files: ['**/*.cjs', 'test/**/*.js'], languageOptions: { sourceType: 'commonjs' }, rules: { '@typescript-eslint/no-require-imports': 'off' } },
);
