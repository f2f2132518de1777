// The import boundaries are the linter's (eslint.config.mjs, run by `npm
// test`): small sources that cross a line, linted through the ESLint API as if
// they sat in each room, are reported with the rule that forbids them, and
// the same code where it is allowed is not.
import { describe, expect, it } from 'vitest'
import { ESLint } from 'eslint'
import { REPO_ROOT } from '../helpers/datasets'

const eslint = new ESLint({ cwd: REPO_ROOT })

/** The rule ids ESLint reports for `code` placed at `file` (a path in the repository; it need not exist, except where the type-aware rules lint it: there it must be a file TypeScript's project knows). */
async function ruleHits(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: `${REPO_ROOT}/${file}` })
  const fatal = result!.messages.filter((m) => m.fatal)
  expect(fatal, JSON.stringify(fatal)).toEqual([])
  return result!.messages.map((m) => m.ruleId ?? '')
}

describe('import boundaries (eslint)', () => {
  it('the renderer reaches neither Node nor the core nor SQLite', async () => {
    expect(await ruleHits('src/renderer/src/stores/leak.ts', "import { readFileSync } from 'node:fs'\nexport { readFileSync }\n")).toEqual(['no-restricted-imports'])
    expect(await ruleHits('src/renderer/src/stores/leak.ts', "import { openStore } from '../../../main/store'\nexport { openStore }\n")).toEqual(['no-restricted-imports'])
    expect(await ruleHits('src/renderer/src/views/Leak.vue', "<script setup lang=\"ts\">\nimport { ipcRenderer } from 'electron'\n</script>\n")).toEqual(['no-restricted-imports'])
    expect(await ruleHits('src/renderer/src/stores/fine.ts', "import { WBC_CLASSES } from '../../../shared/cells'\nexport const n = WBC_CLASSES.length\n")).toEqual([])
  })

  it("the renderer's views, components and composables call stores, not the transport", async () => {
    const leak = "<script setup lang=\"ts\">\nimport { useTransport } from '../api/transport'\nuseTransport()\n</script>\n"
    expect(await ruleHits('src/renderer/src/views/Leak.vue', leak)).toEqual(['no-restricted-imports'])
    expect(await ruleHits('src/renderer/src/components/review/Leak.vue', leak.replace('../api', '../../api'))).toEqual(['no-restricted-imports'])
    expect(await ruleHits('src/renderer/src/composables/leak.ts', "import { useTransport } from '../api/transport'\nexport const t = useTransport\n")).toEqual(['no-restricted-imports'])
    expect(await ruleHits('src/renderer/src/stores/fine.ts', "import { useTransport } from '../api/transport'\nexport const t = useTransport\n")).toEqual([])
  })

  it('src/shared imports no Node module', async () => {
    expect(await ruleHits('src/shared/leak.ts', "import { join } from 'path'\nexport { join }\n")).toEqual(['no-restricted-imports'])
  })

  it('the core never imports electron; the Electron shell may', async () => {
    expect(await ruleHits('src/main/ml/leak.ts', "import { app } from 'electron'\nexport { app }\n")).toEqual(['no-restricted-imports'])
    expect(await ruleHits('src/main/electron/security.ts', "import { app } from 'electron'\nexport { app }\n")).toEqual([])
  })

  it('the core never imports a shell', async () => {
    expect(await ruleHits('src/main/review/leak.ts', "import { main } from '../../cli/main'\nexport { main }\n")).toEqual(['no-restricted-imports'])
  })

  it('SQL lives in src/main/store only', async () => {
    const query = "import type { Db } from '../store/db'\nexport const f = (db: Db) => db.prepare('SELECT 1').get()\n"
    expect(await ruleHits('src/main/review/leak.ts', query)).toEqual(['no-restricted-syntax'])
    expect(await ruleHits('src/main/store/fine.ts', query.replace('../store/db', './db'))).toEqual([])
    expect(await ruleHits('src/main/ml/leak.ts', "import { stmt } from '../store/statements'\nexport { stmt }\n")).toEqual(['no-restricted-imports'])
    expect(await ruleHits('src/cli/leak.ts', "import Database from 'better-sqlite3'\nexport { Database }\n")).toEqual(['no-restricted-imports'])
    expect(await ruleHits('src/main/review/leak.ts', "export const f = (db: { exec(s: string): void }) => db.exec(`DELETE FROM labels`)\n")).toEqual(['no-restricted-syntax'])
    // RegExp#exec is not SQL.
    expect(await ruleHits('src/main/review/fine.ts', 'export const f = (s: string) => /^(\\d+)$/.exec(s)\n')).toEqual([])
  })

  it('the preload imports only electron and the shared contract', async () => {
    expect(await ruleHits('src/preload/leak.ts', "import { readFileSync } from 'node:fs'\nexport { readFileSync }\n")).toEqual(['no-restricted-imports'])
    expect(await ruleHits('src/preload/fine.ts', "import { contextBridge } from 'electron'\nimport { API } from '../shared/api'\nexport { contextBridge, API }\n")).toEqual([])
  })

  it('relative imports carry no extension', async () => {
    expect(await ruleHits('test/main/leak.test.ts', "import { x } from './x.js'\nexport { x }\n")).toEqual(['no-restricted-syntax'])
    expect(await ruleHits('src/main/ml/fine.ts', "export const load = () => import('./x')\n")).toEqual([])
  })

  it('refuses unused imports, and a promise left floating in the shells and workers', async () => {
    expect(await ruleHits('src/main/review/leak.ts', "import { join } from 'node:path'\nexport const x = 1\n")).toEqual(['@typescript-eslint/no-unused-vars'])
    // Type-aware: linted as the server's own file (the project service knows it), with a call whose promise nobody awaits.
    const floating = "async function save(): Promise<void> {}\nexport function handle(): void {\n  save()\n}\n"
    expect(await ruleHits('src/server/http.ts', floating)).toEqual(['@typescript-eslint/no-floating-promises'])
    expect(await ruleHits('src/server/http.ts', floating.replace('  save()', '  void save()'))).toEqual([])
  }, 120_000)
})
