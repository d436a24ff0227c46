import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

export default tseslint.config(
  { ignores: ['node_modules/**', 'ui/dist/**', 'dist/**', 'coverage/**', '**/*.js', '**/*.mjs'] },
  ...tseslint.configs.recommended,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', ignoreRestSiblings: true }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
    },
  },
  {
    // Tests poke at JSON bodies and SDK internals; typing every probe would say nothing.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // Workflow code runs in Temporal's deterministic sandbox: no Node builtins, activities only as types, and
    // the processes' own code (gateway, workers, lib: databases, NATS, config) only as types too. What a
    // workflow shares with them lives in domain/.
    files: ['workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltins.map((name) => ({ name, message: 'Workflow code must not use Node builtins.' })),
          patterns: [
            {
              group: ['**/activities/**', '**/activities'],
              allowTypeImports: true,
              message: 'Import activities with `import type` and call them through proxyActivities.',
            },
            {
              group: ['**/gateway/**', '**/gateway', '**/workers/**', '**/workers', '**/lib/**', '**/lib'],
              allowTypeImports: true,
              message:
                'Workflow code imports the gateway, workers and lib/ as types only; move shared pure code to domain/.',
            },
          ],
        },
      ],
    },
  },
  {
    // Domain code is pure: the gateway, the UI (in the browser), lib/, activities and the workflow sandbox all
    // import it. No Node builtins, no Temporal, and nothing from the layers that import it.
    files: ['domain/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltins.map((name) => ({ name, message: 'Domain code must not use Node builtins.' })),
          patterns: [
            {
              group: ['@temporalio/*'],
              message:
                'Domain code must not use Temporal: signals, queries and ids go in a workflow contract.',
            },
            {
              group: [
                '**/workflows/**',
                '**/workflows',
                '**/activities/**',
                '**/activities',
                '**/lib/**',
                '**/lib',
                '**/gateway/**',
                '**/gateway',
                '**/workers/**',
                '**/workers',
                '**/asterisk/**',
                '**/asterisk',
              ],
              message:
                'Domain code imports only domain/ and pure packages (zod); the other layers import it.',
            },
          ],
        },
      ],
    },
  },
);
