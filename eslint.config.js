// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'data/', 'drizzle/', 'bench/results/'] },
  js.configs.recommended,
  ...tseslint.configs.strict,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly', Buffer: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      // With noUncheckedIndexedAccess on, `!` marks look-ups the code has just guaranteed.
      '@typescript-eslint/no-non-null-assertion': 'off',
      // Pledge runs TypeScript through Node's type stripping: only erasable syntax is allowed.
      'no-restricted-syntax': [
        'error',
        { selector: 'TSEnumDeclaration', message: 'enums are not erasable; use a const object or a union' },
        { selector: 'TSModuleDeclaration[declare!=true]', message: 'namespaces are not erasable' },
        { selector: 'TSParameterProperty', message: 'parameter properties are not erasable' },
      ],
    },
  },
);
