import tseslint from 'typescript-eslint';
import reactHooks from 'eslint-plugin-react-hooks';

export default tseslint.config(
  { ignores: ['node_modules/', 'out/', 'dist/', 'test-results/', 'bench/.data/'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.{ts,tsx}'],
    plugins: { 'react-hooks': reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/sandbox/**'], message: 'The app never imports the sandbox.' }] }],
    },
  },
  {
    // Layering: only main/electron may import electron; the renderer never imports main or node.
    files: ['main/**/*.ts'],
    ignores: ['main/electron/**'],
    rules: { 'no-restricted-imports': ['error', { paths: ['electron'], patterns: [{ group: ['**/renderer/**', '**/sandbox/**'] }] }] },
  },
  {
    files: ['renderer/**/*.{ts,tsx}'],
    rules: { 'no-restricted-imports': ['error', { patterns: [{ group: ['**/main/**', '**/sandbox/**', 'node:*', 'electron'] }] }] },
  },
  {
    files: ['sandbox/**/*.ts', 'test/**/*.ts', 'test/**/*.tsx', 'bench/**/*.ts'],
    rules: { 'no-restricted-imports': 'off' },
  },
);
