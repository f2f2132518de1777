// `npm run docs:screenshots`: regenerates the screenshots docs/user-guide.md
// shows. The browser tests take them (test-artifacts/screenshots, every screen
// at two window sizes) against real cells; this builds the app, runs those
// tests, and writes the guide's picks into docs/images/guide-*.png, scaled
// down and palette-compressed so the repository stays small.
// --no-run: only copy what test-artifacts/screenshots already holds.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import sharp from 'sharp'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const SHOTS = join(ROOT, 'test-artifacts', 'screenshots')
const OUT = join(ROOT, 'docs', 'images')

/** The screenshots the guide uses (the tests' names, at 1366x768). */
export const GUIDE_SHOTS = [
  'import-browse',
  'import-report',
  'slides-reviewed',
  'review-gallery',
  'review-help',
  'review-zoom',
  'review-sign',
  'review-signed',
  'models-trained',
  'models-calibrated',
  'blind-session',
  'blind-results'
] as const

function run(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { cwd: ROOT, stdio: 'inherit' })
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status})`)
}

async function main(): Promise<void> {
  if (!process.argv.includes('--no-run')) {
    run('npm', ['run', 'build'])
    run('npx', ['vitest', 'run', 'test/e2e/browser.test.ts', 'test/e2e/review.e2e.test.ts', 'test/e2e/models.e2e.test.ts', 'test/e2e/blind.e2e.test.ts'])
  }
  mkdirSync(OUT, { recursive: true })
  let bytes = 0
  for (const name of GUIDE_SHOTS) {
    const src = join(SHOTS, `${name}-1366x768.png`)
    if (!existsSync(src)) throw new Error(`${src} missing: the browser tests did not take it`)
    const info = await sharp(src).resize({ width: 1024 }).png({ palette: true, colours: 128, compressionLevel: 9 }).toFile(join(OUT, `guide-${name}.png`))
    bytes += info.size
  }
  console.log(`${GUIDE_SHOTS.length} screenshots, ${(bytes / 1024).toFixed(0)} KiB, in docs/images/guide-*.png`)
}

await main()
