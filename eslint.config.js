// ESLint's and typescript-eslint's recommended rules over the sources, tests and benchmarks.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const node = {
  process: 'readonly',
  console: 'readonly',
  URL: 'readonly',
  Buffer: 'readonly',
  setTimeout: 'readonly',
  clearTimeout: 'readonly',
  setInterval: 'readonly',
  clearInterval: 'readonly',
  performance: 'readonly',
  fetch: 'readonly',
};
const browser = {
  window: 'readonly',
  document: 'readonly',
  location: 'readonly',
  history: 'readonly',
  Node: 'readonly',
  fetch: 'readonly',
  console: 'readonly',
  setTimeout: 'readonly',
  clearTimeout: 'readonly',
  setInterval: 'readonly',
  URL: 'readonly',
};

// The product in src/ never imports the try-it app beside it (sandbox/) or the doubles of outside services
// (doubles/): the production build has neither (ARCHITECTURE.md). Added to every src/ rule below, because a
// later no-restricted-imports setting for the same file replaces an earlier one.
const tryItApp = {
  group: ['**/sandbox/*', '**/sandbox/**', '**/doubles/*', '**/doubles/**', '**/test/**', '**/bench/**'],
  message: 'src/ is the product: it imports neither the sandbox, the doubles, tests nor benchmarks.',
};
// A double stands for an outside service: it knows nothing of the bot it serves (its tests may).
const doubleAlone = {
  group: ['**/src/*', '**/src/**', '**/sandbox/*', '**/sandbox/**', '**/test/**', '**/bench/**'],
  message: 'doubles/ model outside services on their own: no import of the bot, the sandbox or tests.',
};

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', 'test-artifacts/', 'drizzle/', 'scratch/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: node },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
    },
  },
  { files: ['src/**/*.ts'], rules: { 'no-restricted-imports': ['error', { patterns: [tryItApp] }] } },
  {
    files: ['doubles/**/*.ts'],
    ignores: ['doubles/**/*.test.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [doubleAlone] }] },
  },
  // Layering held by the tool: the Slack adapter renders what services hand it and never reaches into the
  // database or a provisioner (ARCHITECTURE.md, "Dependencies point inward").
  {
    files: ['src/slack/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            tryItApp,
            {
              group: ['**/db/*', '**/provisioners/*', '**/provisioners/**', 'drizzle-orm', 'drizzle-orm/*'],
              message: 'src/slack renders what services hand it: import the shape from domain/ or services/.',
            },
          ],
        },
      ],
    },
  },
  // Services are use cases: they call db/ query functions, never drizzle or the schema directly.
  {
    files: ['src/services/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            tryItApp,
            {
              group: ['drizzle-orm', 'drizzle-orm/*', '**/db/schema', '**/db/schema/*'],
              message: 'src/services calls query functions in src/db: move the query there.',
            },
            {
              group: ['**/integrations/*'],
              message:
                'src/services talks to outside services through ports.ts (OnCallDirectory): app.ts passes the client in.',
            },
          ],
        },
      ],
    },
  },
  // Ports name what services need in their own words: they import the domain's shapes and nothing else
  // (no db/ handle, no adapter's type, no other service), so adapters depend on them and never the reverse.
  {
    files: ['src/services/ports.ts', 'src/services/ports-*.ts', 'src/provisioners/port.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            tryItApp,
            {
              // Anything relative but ../domain/, and the adapters' libraries.
              regex: '^(\\./|\\.\\./(?!domain/)|drizzle-orm|postgres$|@slack/)',
              message:
                'A port declares its own types from domain/ only: let the adapter import the port, not the port the adapter.',
            },
          ],
        },
      ],
    },
  },
  // Clients of outside services (PagerDuty, Opsgenie): they speak HTTP and answer in domain shapes, nothing more.
  {
    files: ['src/integrations/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            tryItApp,
            {
              group: [
                '**/db/*',
                '**/db/**',
                '**/slack/*',
                '**/slack/**',
                '**/provisioners/*',
                '**/provisioners/**',
                'drizzle-orm',
                'drizzle-orm/*',
                '@slack/*',
              ],
              message: 'src/integrations are clients of outside services: no database, Slack or provisioners.',
            },
          ],
        },
      ],
    },
  },
  // The request API's client (the CLI, `access-requests mcp`): it reaches the bot over HTTP only, so it runs on
  // a laptop with none of the bot's configuration, database or Slack; it speaks the contract of domain/.
  {
    // The MCP tools (src/mcp) too: the same tools serve /mcp in the bot and `access-requests mcp` on a laptop,
    // so they stand on the AccessApi contract alone.
    files: [
      'src/client/**/*.ts',
      'src/cli/access-requests.ts',
      'src/cli/requests/**/*.ts',
      'src/cli/mcp-stdio.ts',
      'src/mcp/**/*.ts',
    ],
    ignores: ['src/client/**/*.test.ts', 'src/mcp/**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            tryItApp,
            {
              group: [
                '**/db/*',
                '**/db/**',
                '**/services/*',
                '**/services/**',
                '**/slack/*',
                '**/slack/**',
                '**/http/*',
                '**/http/**',
                '**/provisioners/*',
                '**/provisioners/**',
                '**/config.js',
                'drizzle-orm',
                'drizzle-orm/*',
                '@slack/*',
                'pino',
              ],
              message:
                'The CLI and its client reach the bot over HTTP only: import domain/ and client/, nothing of the server.',
            },
          ],
        },
      ],
    },
  },
  // The domain is pure: it imports only domain/ and pure libraries (date-fns, @date-fns/tz, zod, yaml, re2js, node:crypto's hashes).
  {
    files: ['src/domain/**/*.ts'],
    ignores: ['src/domain/**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['../*', '../**'],
              message:
                'src/domain imports only src/domain and pure libraries: no db/, services/, slack/, provisioners/ or http/.',
            },
            {
              group: [
                'node:fs',
                'node:fs/*',
                'fs',
                'fs/*',
                'node:child_process',
                'node:net',
                'node:http',
                'node:https',
                'node:os',
                'node:process',
                'drizzle-orm',
                'drizzle-orm/*',
                'postgres',
                '@slack/*',
                'pino',
              ],
              message: 'src/domain does no I/O: do it in an adapter and pass the result in.',
            },
          ],
        },
      ],
    },
  },
  // The sandbox page: plain ES modules in the browser.
  { files: ['sandbox/public/**/*.js'], languageOptions: { globals: browser } },
  // Slack's JSON as the double and the tests handle it is untyped by nature: `any` is allowed there only.
  {
    files: ['doubles/slack/**', 'test/**', 'bench/**'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
);
