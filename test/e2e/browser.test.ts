// End to end through browser mode: `wbc serve` (the project's own CLI) on a
// temp database and a free port, driven by Debian's Chromium via
// playwright-core. Imports a real slide folder, checks the import report and
// the Slides screen, and keeps screenshots at both target sizes in
// test-artifacts/screenshots/.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { spawn, type ChildProcess } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { chromium, type BrowserContext, type Page } from 'playwright-core'
import { REPO_ROOT, realCells } from '../helpers/datasets'

const CHROMIUM = process.env.WBC_CHROMIUM ?? '/usr/bin/chromium'
const SHOTS = join(REPO_ROOT, 'test-artifacts', 'screenshots')
const SIZES = [
  { width: 1366, height: 768 },
  { width: 1920, height: 1080 }
] as const
const CLASSES = ['neutrophil', 'eosinophil', 'basophil', 'lymphocyte', 'monocyte']
const SLIDE = 'SLIDE-E2E-0001'

let tmp: string
let server: ChildProcess | undefined
let context: BrowserContext | undefined
let page: Page
let openUrl: string
const consoleErrors: string[] = []

function startServe(dbPath: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'wbc.js'), 'serve', '--port', '0', '--db', dbPath], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe']
    })
    server = child
    let out = ''
    let err = ''
    const timer = setTimeout(() => reject(new Error(`wbc serve did not start within 60 s:\n${out}\n${err}`)), 60_000)
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString()
      const m = /^open: (\S+)$/m.exec(out)
      if (m) {
        clearTimeout(timer)
        resolve(m[1]!)
      }
    })
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()))
    child.on('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`wbc serve exited (${code}):\n${out}\n${err}`))
    })
  })
}

async function shoot(name: string): Promise<void> {
  for (const size of SIZES) {
    await page.setViewportSize(size)
    await page.waitForTimeout(150)
    await page.screenshot({ path: join(SHOTS, `${name}-${size.width}x${size.height}.png`) })
  }
  await page.setViewportSize(SIZES[0])
}

beforeAll(async () => {
  if (!existsSync(join(REPO_ROOT, 'out', 'renderer', 'index.html'))) {
    throw new Error('out/renderer is missing: the e2e tests serve the built renderer. Run `npm run build` (or `npm run setup`) first.')
  }
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM}: install it with \`apt-get install -y chromium\` (npm run setup does it as root) or set WBC_CHROMIUM.`)
  }
  tmp = mkdtempSync(join(tmpdir(), 'wbc-e2e-'))
  // A slide export: one flat folder of 20 real cells (4 of each class), plus one truncated JPEG.
  const slideDir = join(tmp, 'export', SLIDE)
  mkdirSync(slideDir, { recursive: true })
  for (const cls of CLASSES) for (const f of realCells('pbc-wbc', cls, 4)) copyFileSync(f, join(slideDir, basename(f)))
  const sample = realCells('pbc-wbc', 'monocyte', 5)[4]!
  writeFileSync(join(slideDir, 'truncated-cell.jpg'), readFileSync(sample).subarray(0, 600))
  mkdirSync(SHOTS, { recursive: true })

  openUrl = await startServe(join(tmp, 'wbc.sqlite'))
  context = await chromium.launchPersistentContext(join(tmp, 'profile'), {
    executablePath: CHROMIUM,
    headless: true,
    viewport: SIZES[0],
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']
  })
  page = context.pages()[0] ?? (await context.newPage())
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text())
  })
  page.on('pageerror', (e) => consoleErrors.push(e.message))
}, 120_000)

afterAll(async () => {
  await context?.close()
  if (server && server.exitCode === null) {
    const exited = new Promise((r) => server!.once('exit', r))
    server.kill('SIGTERM')
    await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))])
    if (server.exitCode === null) server.kill('SIGKILL')
  }
  if (tmp) rmSync(tmp, { recursive: true, force: true })
})

describe('browser mode, end to end', () => {
  it('refuses the API without the token', async () => {
    const base = new URL(openUrl)
    base.search = ''
    const res = await fetch(new URL('/api/app.info', base), { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })
    expect(res.status).toBe(401)
    expect(res.headers.get('content-security-policy')).toContain("default-src 'self'")
  })

  it('opens with the token, sets the cookie and shows the frame', async () => {
    await page.goto(openUrl)
    // The token leaves the address bar; the cookie carries it from now on.
    expect(page.url()).not.toContain('token=')
    await page.getByRole('navigation', { name: 'Screens' }).waitFor()
    await expect.poll(() => page.getByTestId('shell').textContent()).toBe('Browser mode')
    expect(await page.locator('.nav-link.planned .nav-title').allTextContents()).toEqual([])
    expect(await page.locator('.nav-link:not(.planned) .nav-title').allTextContents()).toEqual(['Import', 'Slides', 'Review', 'Models', 'Synthetic', 'Blind sessions', 'Outbox'])
  })

  it('imports a real slide folder with live progress and a per-file report', async () => {
    await page.keyboard.press('Alt+1')
    await page.getByRole('heading', { name: 'Import', level: 1 }).waitFor()
    await page.getByTestId('import-path').fill(join(tmp, 'export', SLIDE))
    await page.getByTestId('start-import').click()
    const report = page.getByTestId('import-report')
    await report.waitFor({ timeout: 60_000 })
    expect(await page.getByTestId('count-imported').locator('.tile-value').textContent()).toBe('20')
    expect(await page.getByTestId('count-failed').locator('.tile-value').textContent()).toBe('1')
    const rows = page.getByTestId('report-table').locator('tbody tr')
    expect(await rows.count()).toBe(1)
    const row = (await rows.first().textContent()) ?? ''
    expect(row).toContain('truncated-cell.jpg')
    expect(row).toContain('failed')
    await shoot('import-report')
  })

  it('browses server-side folders to choose an import', async () => {
    await page.getByTestId('import-path').fill(join(tmp, 'export'))
    await page.getByTestId('browse').click()
    const browser = page.getByTestId('folder-browser')
    await browser.waitFor()
    expect(await browser.getByRole('button', { name: `${SLIDE}/` }).count()).toBe(1)
    await shoot('import-browse')
    await browser.getByRole('button', { name: 'Close' }).click()
  })

  it('shows the slide with its status, cell count and model, and its cells', async () => {
    await page.keyboard.press('Alt+2')
    await page.getByRole('heading', { name: 'Slides', level: 1 }).waitFor()
    const row = page.getByTestId('slides-table').locator('tbody tr', { hasText: SLIDE })
    await row.waitFor()
    const cells = await row.locator('td').allTextContents()
    expect(cells[0]).toBe(SLIDE)
    expect(cells[1]).toBe('Imported')
    expect(cells[2]).toBe('20')
    expect(cells[3]).toBe('—')
    const thumbs = page.getByTestId('slide-preview').locator('img.cell-thumb')
    await expect.poll(() => thumbs.count()).toBe(20)
    await expect
      .poll(() => thumbs.evaluateAll((imgs) => (imgs as unknown as { complete: boolean; naturalWidth: number }[]).filter((i) => i.complete && i.naturalWidth > 0).length))
      .toBe(20)
    await shoot('slides')
  })

  it('opens the Review screen on Alt+3 with the slides to choose from (review itself: review.e2e.test.ts)', async () => {
    await page.keyboard.press('Alt+3')
    const picker = page.getByTestId('review-picker')
    await picker.waitFor()
    expect(await picker.locator('tbody tr', { hasText: SLIDE }).count()).toBe(1)
  })

  it('ran without console errors or CSP violations', () => {
    expect(consoleErrors).toEqual([])
  })
})
