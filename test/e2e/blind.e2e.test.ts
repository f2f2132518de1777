// Synthetic cells and a blind session end to end through browser mode. Setup,
// through the core: 30 real PBC cells imported with their classes, a tiny GAN
// per class trained for a few steps with cells generated from it, and a
// quality report with a small baseline. In the browser: the Synthetic screen
// (generators, sample grid, quality report, generating more cells, resuming a
// GAN from the UI), then a blind session created from a recipe and run full
// screen from the keyboard, while every network response the page receives is
// recorded and checked for anything that tells a real cell from a generated
// one; then its results and CSV export.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import type { BrowserContext, Page, Response } from 'playwright-core'
import { openStore } from '../../src/main/store'
import { importPath } from '../../src/main/import'
import { initBackend, tf } from '../../src/main/ml/model/tfjs-backend'
import { trainGenerator } from '../../src/main/synthetic/generators'
import { generateCells } from '../../src/main/synthetic/generate'
import { runQualityReport } from '../../src/main/synthetic/quality'
import { realCells } from '../helpers/datasets'
import { launchBrowser, requireBuiltRendererAndChromium, SHOTS, shoot, signIn, startServe, type Served } from './harness'
import { addTestUser } from '../helpers/people'

const CLASSES = ['neutrophil', 'eosinophil', 'basophil', 'lymphocyte', 'monocyte']
const DATASET = 'pbc-blind-e2e'
const SESSION = 'Hematologist A round 1'
const PER_CLASS = { real: 2, generated: 2 }
const TOTAL = CLASSES.length * (PER_CLASS.real + PER_CLASS.generated)

let tmp: string
let served: Served | undefined
const ORGANISER_PASSWORD = 'olga has a long password'
let context: BrowserContext | undefined
let page: Page
let errors: string[] = []

/** A small, untrained five-class classifier at 16 px: here the quality report's display is under test, not its figures. */
async function tinyBaseline(): Promise<tf.LayersModel> {
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [16, 16, 3], filters: 8, kernelSize: 3, activation: 'relu', padding: 'same', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 16, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }),
      tf.layers.dense({ units: 5, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) })
    ]
  })
  return model
}

beforeAll(async () => {
  requireBuiltRendererAndChromium()
  tmp = mkdtempSync(join(tmpdir(), 'wbc-e2e-blind-'))
  mkdirSync(SHOTS, { recursive: true })
  for (const cls of CLASSES) {
    mkdirSync(join(tmp, DATASET, cls), { recursive: true })
    for (const f of realCells('pbc-wbc', cls, 6)) copyFileSync(f, join(tmp, DATASET, cls, basename(f)))
  }
  const dbPath = join(tmp, 'wbc.sqlite')
  const db = openStore(dbPath)
  try {
    await importPath(db, join(tmp, DATASET))
    await initBackend('wasm')
    const ids: number[] = []
    for (const cls of CLASSES) {
      const r = await trainGenerator(db, {
        name: `${cls}-tiny`,
        class: cls,
        preset: 'tiny',
        real: { db },
        steps: 4,
        checkpointDir: join(tmp, 'gan', `${cls}-tiny`),
        checkpointEvery: 2
      })
      await generateCells(db, { generatorId: r.generator.id, count: 6, seed: 5 })
      ids.push(r.generator.id)
    }
    await runQualityReport(db, { generatorIds: ids, real: { db }, model: await tinyBaseline(), modelName: 'tiny baseline (test)', perClass: 6, epochs: 1, seed: 3 })
    // The organiser of the study: synthetic cells and blind sessions are theirs.
    await addTestUser(db, 'olga', ['organiser'], ORGANISER_PASSWORD)
  } finally {
    db.close()
  }
  served = await startServe(dbPath)
  ;({ context, page, errors } = await launchBrowser(join(tmp, 'profile')))
}, 180_000)

afterAll(async () => {
  await context?.close()
  await served?.stop()
  if (tmp) rmSync(tmp, { recursive: true, force: true })
})

/** PNG chunk types in order. */
function chunkTypes(png: Buffer): string[] {
  const types: string[] = []
  for (let off = 8; off + 8 <= png.length; ) {
    const len = png.readUInt32BE(off)
    types.push(png.toString('latin1', off + 4, off + 8))
    off += 12 + len
  }
  return types
}

/** Every key and every string value in a JSON value (byte payloads excluded, they are checked as images). */
function walk(v: unknown, keys: Set<string>, strings: string[]): void {
  if (Array.isArray(v)) for (const x of v) walk(x, keys, strings)
  else if (v && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      keys.add(k)
      if (k !== '$bytes') walk(x, keys, strings)
    }
  } else if (typeof v === 'string') strings.push(v)
}

describe('synthetic cells and a blind session in the browser', () => {
  it('shows the generators, a sample grid and the quality report; generates more cells and resumes a GAN', async () => {
    await signIn(page, served!.url, 'olga', ORGANISER_PASSWORD)
    await page.getByRole('navigation', { name: 'Screens' }).waitFor()
    await page.locator('a[data-screen="synthetic"]').click()
    await page.getByRole('heading', { name: 'Synthetic cells', level: 1 }).waitFor()
    const rows = page.getByTestId('generators-table').locator('tbody tr')
    // The five trained here, then the shipped five-class generator's five classes (resources/generators, listed on first sight).
    await expect.poll(() => rows.count()).toBe(10)
    expect((await rows.locator('th').allTextContents()).map((t) => t.trim().toLowerCase())).toEqual([...CLASSES, ...CLASSES])
    expect(await rows.nth(7).textContent()).toContain('shipped')
    await rows.nth(2).click()
    const detail = page.getByTestId('generator-detail')
    await expect.poll(() => detail.locator('h2').textContent()).toContain('basophil-tiny')
    const grid = page.getByTestId('sample-grid')
    await expect.poll(() => grid.evaluate((i) => (i as unknown as { naturalWidth: number }).naturalWidth)).toBeGreaterThan(0)
    const quality = page.getByTestId('quality-report')
    await expect.poll(() => quality.locator('tbody tr').count()).toBe(5)
    expect(await quality.getByTestId('tog-accuracy').textContent()).toMatch(/%$/)
    expect(await page.getByTestId('generated-count').textContent()).toBe('6')

    await page.getByTestId('generate-count').fill('4')
    await page.getByTestId('generate').click()
    await expect.poll(() => page.getByTestId('generated-count').textContent(), { timeout: 60_000 }).toBe('10')
    expect(await page.getByTestId('gan-note').textContent()).toBe('4 new basophil cells generated (checkpoint at step 4).')
    await shoot(page, 'synthetic')
    await page.getByTestId('quality-panel').scrollIntoViewIfNeeded()
    await shoot(page, 'synthetic-quality')
    await page.locator('main').evaluate((m) => (m as unknown as { scrollTop: number }).scrollTop = 0)

    // Resume the lymphocyte GAN from step 4 to 8 from the form (same class and preset: the same generator).
    await page.getByTestId('gan-class').selectOption('lymphocyte')
    await page.getByTestId('gan-preset').selectOption('tiny')
    await page.getByTestId('gan-steps').fill('8')
    await page.getByTestId('gan-start').click()
    await expect.poll(() => page.getByTestId('gan-note').textContent(), { timeout: 60_000 }).toBe('lymphocyte-tiny: 8 of 8 steps done.')
    const lymph = page.locator('[data-generator-row][aria-selected="true"]')
    await expect.poll(() => lymph.locator('th').getAttribute('title')).toBe('lymphocyte-tiny')
    await expect.poll(() => lymph.locator('td').nth(2).textContent()).toMatch(/^8\s*\/\s*8$/)
  })

  it('runs a blind session full screen from the keyboard, and nothing the page receives tells real from generated', async () => {
    await page.locator('a[data-screen="blind"]').click()
    await page.getByRole('heading', { name: 'Blind sessions', level: 1 }).waitFor()
    await page.getByTestId('blind-name').fill(SESSION)
    await page.getByTestId('blind-real').fill(String(PER_CLASS.real))
    await page.getByTestId('blind-generated').fill(String(PER_CLASS.generated))
    await page.getByTestId('blind-create').click()
    const row = page.getByTestId('blind-sessions').locator('tbody tr', { hasText: SESSION })
    await row.waitFor()
    expect(await row.locator('td').nth(2).textContent()).toBe(`0/${TOTAL}`)

    // From here to the close, record every response the page gets.
    const responses: Response[] = []
    const record = (r: Response) => void responses.push(r)
    page.on('response', record)
    await row.getByRole('button', { name: 'Start' }).click()
    const stage = page.getByTestId('blind-stage')
    await stage.waitFor()
    const cell = page.getByTestId('blind-cell')
    const cellIds = new Set<string>()
    let shot = false
    for (let i = 0; i < TOTAL; i++) {
      await expect.poll(() => page.getByTestId('blind-count').textContent()).toContain(`Cell ${i + 1} of ${TOTAL}`)
      await expect.poll(() => cell.evaluate((img) => (img as unknown as { complete: boolean; naturalWidth: number }).naturalWidth)).toBe(256)
      // The same presentation for every cell: alt text, size, no id anywhere on the page.
      expect(await cell.getAttribute('alt')).toBe('Cell to classify')
      const stageHtml = await stage.innerHTML()
      for (const id of cellIds) expect(stageHtml).not.toContain(id)
      if (!shot && i === 3) {
        await page.keyboard.press('3')
        await shoot(page, 'blind-session')
        shot = true
        await page.keyboard.press(i % 2 ? 'g' : 'r')
      } else {
        await page.keyboard.press(String((i % 5) + 1))
        await page.keyboard.press(i % 2 ? 'g' : 'r')
      }
      const last = [...responses].reverse().find((r) => r.url().endsWith('/api/blind.answer') || r.url().endsWith('/api/blind.next'))
      if (last) {
        const body = JSON.parse((await last.text()) || 'null') as { value?: { cellId?: string; next?: { cellId: string } | null } }
        for (const id of [body.value?.cellId, body.value?.next?.cellId]) if (id) cellIds.add(id)
      }
    }
    await page.getByTestId('blind-done').waitFor()
    expect(await page.getByTestId('blind-count').textContent()).toContain(`${TOTAL} answered`)
    page.off('response', record)

    // Every response received during the session.
    const api = responses.filter((r) => new URL(r.url()).pathname.startsWith('/api/'))
    expect(api.length).toBeGreaterThanOrEqual(2 * TOTAL)
    const allowedKeys = new Set(['ok', 'value', 'sessionId', 'cellId', 'position', 'total', 'answered', 'answeredClass', 'next', 'mime', 'bytes', '$bytes'])
    const images: Buffer[] = []
    for (const r of api) {
      const path = new URL(r.url()).pathname
      expect(['/api/blind.next', '/api/blind.answer', '/api/blind.cell']).toContain(path)
      expect(r.status()).toBe(200)
      const text = await r.text()
      const body = JSON.parse(text) as { ok: boolean; value: { bytes?: { $bytes: string } } }
      expect(body.ok).toBe(true)
      const keys = new Set<string>()
      const strings: string[] = []
      walk(body, keys, strings)
      const v = body.value as { cellId?: string; next?: { cellId: string } | null } | null
      for (const id of [v?.cellId, v?.next?.cellId]) if (id) cellIds.add(id)
      for (const k of keys) expect([...allowedKeys], `key "${k}" in ${path}`).toContain(k)
      for (const s of strings) {
        if (CLASSES.includes(s) || s === 'image/png' || cellIds.has(s)) continue
        expect(s, `string in ${path}`).not.toMatch(/real|generat|synthetic|gan|origin|tiny|\d{4}-\d\d-\d\d/i)
      }
      if (path === '/api/blind.cell') images.push(Buffer.from(body.value.bytes!.$bytes, 'base64'))
      // Header-level tells: no caching or naming that differs per cell.
      expect(r.headers()['content-disposition']).toBeUndefined()
    }
    // The images: one per cell shown, every one the same size, encoding, chunk layout and byte length.
    expect(images.length).toBeGreaterThanOrEqual(TOTAL)
    const layout = chunkTypes(images[0]!).join(',')
    expect(layout.startsWith('IHDR,')).toBe(true)
    expect(layout).not.toMatch(/tEXt|iTXt|zTXt|eXIf|tIME|pHYs|gAMA|iCCP|sRGB/)
    for (const png of images) {
      expect(chunkTypes(png).join(',')).toBe(layout)
      expect(png.readUInt32BE(16)).toBe(256)
      expect(png.readUInt32BE(20)).toBe(256)
      expect(png.subarray(24, 29)).toEqual(images[0]!.subarray(24, 29))
      expect(png.length).toBe(images[0]!.length)
    }
    // Cell ids are opaque and one per cell.
    expect(cellIds.size).toBe(TOTAL)
    for (const id of cellIds) expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/)
  })

  it('closes the session and shows its results (Table 9, accuracy on real and generated, detection with CI), exported as CSV', async () => {
    await page.getByTestId('blind-close').click()
    const results = page.getByTestId('blind-results')
    await results.waitFor()
    expect(await page.getByTestId('blind-stage').count()).toBe(0)
    // Table 9: 5 x 5, every answered cell counted once.
    const counts = (await results.locator('[data-testid="confusion-matrix"] tbody td.confusion-cell').allTextContents()).map((t) => Number(t.trim()))
    expect(counts).toHaveLength(25)
    expect(counts.reduce((a, b) => a + b, 0)).toBe(TOTAL)
    expect(await page.getByTestId('acc-real').locator('.tile-sub').textContent()).toMatch(new RegExp(`/${CLASSES.length * PER_CLASS.real} · 95% CI \\d`))
    expect(await page.getByTestId('acc-generated').locator('.tile-sub').textContent()).toMatch(new RegExp(`/${CLASSES.length * PER_CLASS.generated} · 95% CI \\d`))
    // Origin was answered R, G, R, G ... in a shuffled order: a detection rate with an exact interval.
    expect(await page.getByTestId('detection').locator('.tile-sub').textContent()).toMatch(new RegExp(`^\\d+/${TOTAL} · 95% CI \\d+\\.\\d% – \\d+\\.\\d%$`))
    await results.locator('label.seg-item', { hasText: 'Generated' }).click()
    const genCounts = (await results.locator('[data-testid="confusion-matrix"] tbody td.confusion-cell').allTextContents()).map((t) => Number(t.trim()))
    expect(genCounts.reduce((a, b) => a + b, 0)).toBe(CLASSES.length * PER_CLASS.generated)
    await results.locator('label.seg-item', { hasText: 'All' }).click()
    await shoot(page, 'blind-results')

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('blind-export').click()])
    const csv = readFileSync((await download.path())!, 'utf8').trim().split(/\r?\n/)
    expect(download.suggestedFilename()).toMatch(/^blind-session-\d+\.csv$/)
    expect(csv).toHaveLength(TOTAL + 1)
    expect(csv[0]).toMatch(/origin/)
  })

  it('ran without console errors or CSP violations', () => {
    expect(errors).toEqual([])
  })
})
