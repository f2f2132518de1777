// End to end through browser mode: `wbc serve` (the project's own CLI) on a
// temp database and a free port, driven by Debian's Chromium via
// playwright-core. Imports a real slide folder, checks the import report and
// the Slides screen, and keeps screenshots at both target sizes in
// test-artifacts/screenshots/.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import type { BrowserContext, Page } from 'playwright-core'
import { realCells } from '../helpers/datasets'
import { launchBrowser, requireBuiltRendererAndChromium, SHOTS, shoot as shootAt, startServe, type Served } from './harness'

const shoot = (name: string): Promise<void> => shootAt(page, name)

const CLASSES = ['neutrophil', 'eosinophil', 'basophil', 'lymphocyte', 'monocyte']
const SLIDE = 'SLIDE-E2E-0001'

let tmp: string
let served: Served | undefined
let context: BrowserContext | undefined
let page: Page
let openUrl: string
let consoleErrors: string[] = []

beforeAll(async () => {
  requireBuiltRendererAndChromium()
  tmp = mkdtempSync(join(tmpdir(), 'wbc-e2e-'))
  // A slide export: one flat folder of 20 real cells (4 of each class), plus one truncated JPEG.
  const slideDir = join(tmp, 'export', SLIDE)
  mkdirSync(slideDir, { recursive: true })
  for (const cls of CLASSES) for (const f of realCells('pbc-wbc', cls, 4)) copyFileSync(f, join(slideDir, basename(f)))
  const sample = realCells('pbc-wbc', 'monocyte', 5)[4]!
  writeFileSync(join(slideDir, 'truncated-cell.jpg'), readFileSync(sample).subarray(0, 600))
  mkdirSync(SHOTS, { recursive: true })

  served = await startServe(join(tmp, 'wbc.sqlite'))
  openUrl = served.url
  const b = await launchBrowser(join(tmp, 'profile'))
  context = b.context
  page = b.page
  consoleErrors = b.errors
}, 120_000)

afterAll(async () => {
  await context?.close()
  await served?.stop()
  if (tmp) rmSync(tmp, { recursive: true, force: true })
})

describe('browser mode, end to end', () => {
  it('refuses the API to anyone not signed in, the start token included', async () => {
    const base = new URL(openUrl)
    const token = base.searchParams.get('token')!
    base.search = ''
    const res = await fetch(new URL('/api/app.info', base), { method: 'POST', headers: { 'content-type': 'application/json', 'x-wbc-token': token }, body: '{}' })
    expect(res.status).toBe(403)
    expect(await res.json()).toMatchObject({ ok: false, error: { code: 'forbidden' } })
    expect(res.headers.get('content-security-policy')).toContain("default-src 'self'")
  })

  it('opens with the start token on the first admin\'s setup, who adds a technologist from the Users screen', async () => {
    await page.goto(openUrl)
    // The token leaves the address bar; its cookie lets this browser create the first admin.
    expect(page.url()).not.toContain('token=')
    await page.getByRole('heading', { name: 'Create the first administrator' }).waitFor()
    await shoot('setup')
    await page.keyboard.type('ada')
    await page.getByTestId('signin-display').fill('Ada Admin')
    await page.getByTestId('signin-password').fill('ada has a long password')
    await page.getByTestId('signin-repeat').fill('ada has a long password')
    await page.keyboard.press('Enter')
    await page.getByRole('navigation', { name: 'Screens' }).waitFor()
    expect(await page.getByTestId('signed-in').textContent()).toContain('Ada Admin')
    await expect.poll(() => page.getByTestId('shell').textContent()).toBe('Browser mode')
    // An admin manages users and settings; import and review are the technologists'.
    expect(await page.locator('.nav-link .nav-title').allTextContents()).toEqual(['Slides', 'Review', 'Models', 'Outbox', 'Lab', 'Users'])
    await page.locator('.nav-link', { hasText: 'Users' }).click()
    await page.getByTestId('user-name').fill('tess')
    await page.getByTestId('user-display').fill('Tess Technologist')
    await page.getByTestId('user-password').fill('tess has a long password')
    await page.getByTestId('user-submit').click()
    await expect.poll(() => page.getByTestId('users-table').locator('tr[data-user="tess"]').count(), { timeout: 20_000 }).toBe(1)
    expect(await page.getByTestId('users-table').locator('tr[data-user="tess"]').textContent()).toContain('technologist')
    await shoot('users')
    await page.getByTestId('sign-out').click()
    await page.getByRole('heading', { name: 'Sign in' }).waitFor()
  })

  it('signs the technologist in with the keyboard and shows the screens of that role', async () => {
    await page.keyboard.type('tess')
    await page.keyboard.press('Tab')
    await page.keyboard.type('tess has a long password')
    await shoot('sign-in')
    await page.keyboard.press('Enter')
    await page.getByRole('navigation', { name: 'Screens' }).waitFor()
    expect(await page.getByTestId('signed-in').textContent()).toContain('Tess Technologist')
    expect(await page.locator('.nav-link.planned .nav-title').allTextContents()).toEqual([])
    expect(await page.locator('.nav-link:not(.planned) .nav-title').allTextContents()).toEqual(['Import', 'Slides', 'Review', 'Models', 'Outbox', 'Lab'])
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
