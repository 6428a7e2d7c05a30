// @ts-check
import { builtinModules } from 'node:module';
import tseslint from 'typescript-eslint';

// Workflow code runs in Temporal's deterministic sandbox: no Node built-ins, no side
// effects, and activity modules only as types (the worker registers the real ones).
const workflowRestrictions = {
  paths: builtinModules.map((name) => ({
    name,
    message: 'Workflow code must not use Node built-ins: do it in an activity.',
  })),
  patterns: [
    {
      group: ['node:*'],
      message: 'Workflow code must not use Node built-ins: do it in an activity.',
    },
    {
      group: ['**/activities', '**/activities/*', '**/activities/**'],
      allowTypeImports: true,
      message: 'Workflows call activities through proxyActivities; import activity modules with `import type` only.',
    },
    {
      group: ['execa', 'yaml', '@temporalio/client', '@temporalio/worker', '@temporalio/activity', '@temporalio/testing'],
      message: 'Not allowed in workflow code (side effects or non-deterministic).',
    },
  ],
};

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.tmp/**', 'test/fixtures/**', 'deploy/**'] },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          // node:test's describe/it return promises the runner itself awaits.
          allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['describe', 'it', 'test', 'suite'] }],
        },
      ],
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['src/workflows/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', workflowRestrictions],
      'no-restricted-globals': [
        'error',
        { name: 'process', message: 'Workflow code must not read the environment: pass it in the input.' },
        { name: 'require', message: 'Workflow code is ESM and sandboxed.' },
      ],
    },
  },
  {
    // Test doubles stand in for async activities without awaiting anything.
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: { '@typescript-eslint/require-await': 'off' },
  },
  {
    files: ['**/*.js'],
    ...tseslint.configs.disableTypeChecked,
  },
);
