// Lint the TypeScript sources and tests (flat config, typescript-eslint's recommended type-checked rules).
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['lib/', 'node_modules/', '*.js', '*.mjs'] },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { project: './tsconfig.test.json', tsconfigRootDir: import.meta.dirname }
    },
    rules: {
      eqeqeq: ['error', 'smart'],
      'no-restricted-properties': [
        'error',
        { property: 'innerHTML', message: 'Findings are untrusted: build DOM nodes and set textContent.' },
        { property: 'outerHTML', message: 'Findings are untrusted: build DOM nodes and set textContent.' }
      ],
      'no-restricted-syntax': [
        'error',
        { selector: "CallExpression[callee.property.name='insertAdjacentHTML']", message: 'No HTML strings from findings.' }
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      '@typescript-eslint/naming-convention': [
        'error',
        { selector: 'interface', format: ['PascalCase'], custom: { regex: '^I[A-Z]', match: true } }
      ]
    }
  }
);
