// The linter checks where code may run and what may call what
// (docs/architecture.md), one style of import specifier, no unused imports or
// variables, and (type-aware, on the code where a dropped promise loses a
// request, a reply or a message) no floating or misused promises. `npm test`
// runs it; the type-aware part builds the TypeScript program once, so it is
// kept to the shells, the job and inference/training workers and the LIS
// courier (about twice the untyped lint's time, not the whole typecheck's).
//
// Rooms and their rules:
//   src/renderer, src/shared   run in a sandboxed page: no Node module, no
//                              electron, nothing from the core or the shells;
//   renderer views/components  call stores, never the transport (src/renderer/src/api);
//   (and composables)          the views' own helpers, held to the same rule;
//   src/main (the core)        never imports electron (src/main/electron and
//                              src/main/index.ts are the Electron shell) nor
//                              a shell (src/cli, src/server, src/renderer);
//   src/preload                only electron and the shared contract;
//   src/main/store             the only place that holds SQL: elsewhere no
//                              better-sqlite3, no prepared statements, no
//                              db.prepare / db.exec / db.pragma.
// ESLint does not merge the options of one rule across config objects, so
// each room's no-restricted-imports / no-restricted-syntax options are built
// whole below.
import { builtinModules } from 'node:module'
import tseslint from 'typescript-eslint'
import vueParser from 'vue-eslint-parser'

const NODE_BUILTINS = [...new Set(builtinModules.flatMap((m) => (m.startsWith('node:') ? [m] : [m, `node:${m}`])))]

const noNode = NODE_BUILTINS.map((name) => ({ name, message: 'runs in a sandboxed page: no Node modules (docs/architecture.md)' }))
const noElectron = [
  { name: 'electron', message: 'only the Electron shell (src/main/electron, src/main/index.ts) and the preload import electron' }
]
const noElectronPattern = { regex: '^electron/', message: 'only the Electron shell and the preload import electron' }
const noSqlite = [{ name: 'better-sqlite3', message: 'SQL lives in src/main/store: call a store function' }]
const noStatements = { regex: '(^|/)store/statements$', message: 'SQL lives in src/main/store: call a store function' }
const noShells = { regex: '^(\\.\\./)+(cli|server|renderer|preload)(/|$)', message: 'the core never imports a shell; shells call the core' }
const noCoreOrShells = {
  regex: '^(\\.\\./)+(main|cli|server|preload)(/|$)',
  message: 'the renderer and src/shared reach the core only through the API contract (src/shared/api.ts)'
}
const noTransport = { regex: '(^|/)api/[\\w-]+$', message: 'views and components call stores; only stores use the transport (src/renderer/src/api)' }

// One import-specifier style: relative imports without an extension (TypeScript resolves them, the bundler too).
const IMPORT_STYLE = [
  'ImportDeclaration[source.value=/^\\.\\.?\\/.*\\.js$/]',
  'ExportNamedDeclaration[source.value=/^\\.\\.?\\/.*\\.js$/]',
  'ExportAllDeclaration[source.value=/^\\.\\.?\\/.*\\.js$/]',
  'ImportExpression[source.value=/^\\.\\.?\\/.*\\.js$/]'
].map((selector) => ({ selector, message: "relative imports carry no extension: './x', not './x.js'" }))

const SQL_CALLS = [
  { selector: "CallExpression[callee.type='MemberExpression'][callee.property.name=/^(prepare|pragma)$/]", message: 'SQL lives in src/main/store: call a store function' },
  {
    // db.exec('...'); RegExp#exec takes a variable and stays allowed.
    selector: "CallExpression[callee.type='MemberExpression'][callee.property.name='exec'][arguments.0.type=/^(Literal|TemplateLiteral)$/]",
    message: 'SQL lives in src/main/store: call a store function'
  }
]

const imports = (paths, patterns) => ['error', { paths, patterns }]
const syntax = (...selectors) => ['error', ...selectors]

const TS = ['**/*.ts', '**/*.mts']
const CORE_SHELL = ['src/main/electron/**', 'src/main/index.ts']

// Where a promise nobody awaits loses work: the HTTP and Electron shells, the
// API's dispatch, jobs and workers, the LIS courier, the ML worker entries.
const PROMISE_CRITICAL = [
  'src/server/**/*.ts',
  'src/main/api/**/*.ts',
  'src/main/electron/**/*.ts',
  'src/main/index.ts',
  'src/main/lis/**/*.ts',
  'src/main/ml/infer/*-worker.ts',
  'src/main/ml/train/*-worker.ts'
]

export default [
  { ignores: ['out/**', 'dist/**', 'node_modules/**', 'resources/**', '**/*.d.ts'] },
  {
    files: [...TS, '**/*.vue'],
    languageOptions: {
      parser: vueParser,
      parserOptions: { parser: tseslint.parser, sourceType: 'module', ecmaVersion: 'latest', extraFileExtensions: ['.vue'] }
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: { 'no-restricted-syntax': syntax(...IMPORT_STYLE) }
  },
  {
    files: ['src/renderer/**', 'src/shared/**'],
    rules: {
      'no-restricted-imports': imports([...noNode, ...noElectron, ...noSqlite], [noElectronPattern, noCoreOrShells]),
      'no-restricted-syntax': syntax(...IMPORT_STYLE, ...SQL_CALLS)
    }
  },
  {
    files: ['src/renderer/src/views/**', 'src/renderer/src/components/**', 'src/renderer/src/composables/**'],
    rules: {
      'no-restricted-imports': imports([...noNode, ...noElectron, ...noSqlite], [noElectronPattern, noCoreOrShells, noTransport])
    }
  },
  {
    files: ['src/main/**'],
    ignores: ['src/main/store/**', ...CORE_SHELL],
    rules: {
      'no-restricted-imports': imports([...noElectron, ...noSqlite], [noElectronPattern, noShells, noStatements]),
      'no-restricted-syntax': syntax(...IMPORT_STYLE, ...SQL_CALLS)
    }
  },
  {
    files: ['src/main/store/**'],
    rules: { 'no-restricted-imports': imports(noElectron, [noElectronPattern, noShells]) }
  },
  {
    files: [...CORE_SHELL, 'src/cli/**', 'src/server/**'],
    rules: {
      'no-restricted-imports': imports(noSqlite, [noStatements]),
      'no-restricted-syntax': syntax(...IMPORT_STYLE, ...SQL_CALLS)
    }
  },
  {
    // Unused imports and variables (TypeScript files; .vue files: vue-tsc's noUnusedLocals, which sees the template).
    files: TS,
    plugins: { '@typescript-eslint': tseslint.plugin },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { vars: 'all', args: 'none', caughtErrors: 'none', ignoreRestSiblings: true, varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }]
    }
  },
  {
    files: PROMISE_CRITICAL,
    languageOptions: { parser: tseslint.parser, parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    plugins: { '@typescript-eslint': tseslint.plugin },
    rules: { '@typescript-eslint/no-floating-promises': 'error', '@typescript-eslint/no-misused-promises': 'error' }
  },
  {
    files: ['src/preload/**'],
    rules: {
      'no-restricted-imports': imports(noSqlite, [
        { regex: '^(?!electron$|\\.\\./shared/[\\w-]+$)', message: 'the preload imports only electron and the shared contract' }
      ])
    }
  }
]
