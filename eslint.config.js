// @ts-check
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/** Packages that must run in browsers as well as in Node (DESIGN.md: portable core). */
const PORTABLE = ['core', 'pki', 'card', 'mdoc', 'wallet', 'verifier'].map((name) => `packages/${name}/src/**/*.ts`);

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '.openmyna/**', 'artifacts/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        project: ['./tsconfig.tests.json', './packages/*/tsconfig.json', './apps/*/tsconfig.json'],
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      eqeqeq: ['error', 'always'],
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      // U+3000 (ideographic space) is part of the card's data: 氏名 separates family and given name with it.
      'no-irregular-whitespace': [
        'error',
        { skipStrings: true, skipComments: true, skipTemplates: true, skipRegExps: true },
      ],
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@openmyna/*/*', '!@openmyna/*/node', '!@openmyna/pki/ca'],
              message:
                'Import a package through its public entry (STYLE.md 2), e.g. "@openmyna/core", "@openmyna/pki/node" or "@openmyna/pki/ca".',
            },
            {
              regex: '^(\\.\\./)+(packages|apps)/[^/]+/(src|dist)/',
              message: 'Import another package through its public entry, not its files (STYLE.md 2).',
            },
            {
              regex: '^\\.\\./\\.\\./[^/]+/(src|dist)/',
              message: 'Import another package through its public entry, not its files (STYLE.md 2).',
            },
          ],
        },
      ],
    },
  },
  {
    // Small rooms: a file a reader can hold, a function that does one step. Tests are exempt; `src/`
    // has no exemptions.
    files: ['packages/*/src/**/*.ts', 'apps/*/src/**/*.{ts,tsx}'],
    rules: {
      'max-lines': ['error', { max: 400, skipBlankLines: true, skipComments: true }],
      'max-lines-per-function': ['error', { max: 60, skipBlankLines: true, skipComments: true, IIFEs: true }],
    },
  },
  {
    files: PORTABLE,
    // `src/node/` holds each portable package's Node adapters (published as `<package>/node`).
    ignores: ['packages/*/src/node/**'],
    rules: {
      'no-restricted-globals': [
        'error',
        { name: 'process', message: 'Portable packages must not use Node globals; pass configuration in.' },
        { name: 'Buffer', message: 'Use Uint8Array in portable packages.' },
        { name: 'require', message: 'ESM only.' },
      ],
      'no-restricted-syntax': [
        'error',
        {
          selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']",
          message: 'Inject a clock (STYLE.md 9).',
        },
        {
          selector: "NewExpression[callee.name='Date'][arguments.length=0]",
          message: 'Inject a clock (STYLE.md 9).',
        },
        {
          selector: "CallExpression[callee.object.name='Math'][callee.property.name='random']",
          message: 'Use Web Crypto for secrets or SeededRandom for synthetic data (STYLE.md 9).',
        },
      ],
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: '^node:', message: 'Portable packages use Web APIs; Node-only code lives in adapters or apps.' },
            {
              group: ['@openmyna/*/*', '!@openmyna/pki/ca'],
              message: 'Import a package through its public entry (STYLE.md 2).',
            },
          ],
        },
      ],
    },
  },
  {
    // Package tests stand without the apps: a test that needs the issuer or the verifier service is an
    // integration test and lives under apps/*/test or e2e/. (This block repeats the entry-point patterns
    // above, because a later `no-restricted-imports` replaces an earlier one for the files it matches.)
    files: ['packages/*/test/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@openmyna/*/*', '!@openmyna/*/node', '!@openmyna/pki/ca'],
              message:
                'Import a package through its public entry (STYLE.md 2), e.g. "@openmyna/core" or "@openmyna/pki/node".',
            },
            {
              regex: '^(\\.\\./)+(packages|apps)/[^/]+/(src|dist)/',
              message: 'Import another package through its public entry, not its files (STYLE.md 2).',
            },
            {
              regex: '^\\.\\./\\.\\./[^/]+/(src|dist)/',
              message: 'Import another package through its public entry, not its files (STYLE.md 2).',
            },
            {
              regex: '^@openmyna/(issuer|verifier-service|cli|rp-demo|wallet-web)(/|$)',
              message: 'Package tests do not import the apps; move an integration test to apps/*/test or e2e/.',
            },
            {
              regex:
                '^(\\.\\./)+(apps/|test-support/(issuer-fixtures|verifier-fixtures|verifier-service|verifier-answers|wallet-fixtures)(\\.js)?$)',
              message:
                'These test-support files start the apps; a test that needs them belongs in apps/*/test or e2e/.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    // Plain Node scripts that run before anything is installed or built (npm test's set-up).
    files: ['scripts/**/*.mjs'],
    languageOptions: { globals: globals.node },
  },
);
