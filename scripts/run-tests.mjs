#!/usr/bin/env node
// Runs the linter (eslint.config.mjs: the import boundaries and style), then
// the whole test suite with vitest, and ends with the plain
// `N passed, N failed, N skipped` line that CI reads; a lint failure counts
// as one failure there. Arguments go to vitest (a subset of the tests); the
// linter always checks all of src/ and test/.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const lint = spawnSync('npx', ['eslint', 'src', 'test'], { stdio: 'inherit' })
const lintFailed = lint.status !== 0
console.log(lintFailed ? 'lint: FAILED (eslint src test)' : 'lint: clean')

const report = join(mkdtempSync(join(tmpdir(), 'wbc-tests-')), 'vitest.json')
const args = ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...process.argv.slice(2)]
const run = spawnSync('npx', args, { stdio: 'inherit' })

let passed = 0
let failed = 0
let skipped = 0
if (existsSync(report)) {
  const r = JSON.parse(readFileSync(report, 'utf8'))
  passed = r.numPassedTests ?? 0
  // A failed test counts once. A test file that failed without any failed test
  // (it could not load, or a hook threw) counts as one failure of its own.
  // (numFailedTestSuites is not used: vitest counts each describe block in it,
  // so one failed test inside a describe was reported as three failures.)
  const brokenFiles = (r.testResults ?? []).filter(
    (f) => f.status === 'failed' && !(f.assertionResults ?? []).some((t) => t.status === 'failed')
  ).length
  failed = (r.numFailedTests ?? 0) + brokenFiles
  skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0)
} else {
  failed = 1
}
if (run.status !== 0 && failed === 0) failed = 1
if (lintFailed) failed += 1
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`)
process.exit(failed > 0 || run.status !== 0 ? 1 : 0)
