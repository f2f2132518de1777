// A lab server and two review stations, end to end: `wbc serve` on a temp
// database holding one slide of three real, unclassified cells, and two
// Chromium browsers signed in as two people (a technologist and a verifier)
// reviewing that slide at once. Each sees the other's change arrive live
// (slide.changed over the server's event stream: the gallery moves and the
// status line names who changed it, without a reload by hand). Then both
// change the same cell at the same moment: the verifier's request is held in
// flight while the technologist's goes through, so it reaches the server
// against the slide's old revision; it is refused as stale, the verifier's
// screen says so and shows what is there now, and the core's history holds
// only the change that was made.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { BrowserContext, Page } from 'playwright-core'
import type { ReviewHistory, SlideGallery } from '../../src/shared/review'
import type { SlideSummary } from '../../src/shared/api'
import { copyCells } from '../main/import/fixtures'
import { wbc } from '../helpers/wbc'
import { addUser, apiAs, launchBrowser, requireBuiltRendererAndChromium, shoot, signIn, startServe, type Served } from './harness'

const SLIDE = 'SLIDE-LAB-0001'
let tmp: string
let served: Served | undefined
const contexts: BrowserContext[] = []
let ana: Page
let vic: Page
const pageErrors: string[][] = []
let slideId: number
let core: Awaited<ReturnType<typeof apiAs>>

async function value<T>(method: string, input: unknown): Promise<T> {
  const r = await core(method, input)
  if (!r.ok) throw new Error(`${method}: ${r.error.code} ${r.error.message}`)
  return r.value as T
}
const groupCount = async (page: Page, label: string) => Number((await page.locator(`[data-group="${label}"] [data-testid="group-count"]`).first().textContent()) ?? 'NaN')
const groupOfCell = (page: Page, id: number) =>
  page.locator(`[data-cell="${id}"]`).evaluate((el) => (el as unknown as { closest(s: string): { getAttribute(n: string): string } }).closest('[data-group]').getAttribute('data-group'))
const statusLine = async (page: Page) => ((await page.locator('[data-testid="review-notice"], [data-testid="review-error"]').first().textContent()) ?? '').trim()

async function openSlide(page: Page): Promise<void> {
  await page.evaluate((id) => ((globalThis as unknown as { location: { hash: string } }).location.hash = `#/review/${id}`), slideId)
  await page.getByTestId('gallery').waitFor()
}

beforeAll(async () => {
  requireBuiltRendererAndChromium()
  tmp = mkdtempSync(join(tmpdir(), 'wbc-e2e-lab-'))
  const db = join(tmp, 'lab.sqlite')
  copyCells('pbc-wbc', 'lymphocyte', 3, join(tmp, 'export'), SLIDE)
  const imported = await wbc(['import', join(tmp, 'export', SLIDE), '--db', db])
  if (imported.code !== 0) throw new Error(imported.err)
  await addUser(db, 'ana', ['technologist'], undefined, 'Ana Tech')
  await addUser(db, 'vic', ['verifier'], undefined, 'Dr. Vic')
  served = await startServe(db)
  core = await apiAs(served.url, 'ana')
  slideId = (await value<SlideSummary[]>('slides.list', {})).find((s) => s.sampleId === SLIDE)!.id
  for (const [name, profile] of [['ana', 'a'], ['vic', 'b']] as const) {
    const b = await launchBrowser(join(tmp, `profile-${profile}`))
    contexts.push(b.context)
    pageErrors.push(b.errors)
    await signIn(b.page, served.url, name)
    await openSlide(b.page)
    if (name === 'ana') ana = b.page
    else vic = b.page
  }
}, 180_000)

afterAll(async () => {
  for (const c of contexts) await c.close()
  await served?.stop()
  if (tmp) rmSync(tmp, { recursive: true, force: true })
})

describe('a lab server and two stations on one slide', () => {
  it("shows each station the other's change live", async () => {
    const cells = (await value<SlideGallery>('review.gallery', { slideId })).groups.flatMap((g) => g.cells.map((c) => c.id))
    expect(cells).toHaveLength(3)
    expect(await groupCount(vic, 'unidentified')).toBe(3)

    // Ana calls the first cell a lymphocyte (key 4); Dr. Vic's screen follows by itself.
    await ana.locator(`[data-cell="${cells[0]}"]`).click()
    await ana.keyboard.press('4')
    await expect.poll(() => groupCount(vic, 'lymphocyte'), { timeout: 10_000 }).toBe(1)
    expect(await groupOfCell(vic, cells[0]!)).toBe('lymphocyte')
    await expect.poll(() => statusLine(vic)).toBe('ana reclassified cells at another station: the slide is reloaded')

    // And the other way: Dr. Vic calls the second cell a monocyte (key 5); Ana's screen follows.
    await vic.locator(`[data-cell="${cells[1]}"]`).click()
    await vic.keyboard.press('5')
    await expect.poll(() => groupCount(ana, 'monocyte'), { timeout: 10_000 }).toBe(1)
    expect(await groupOfCell(ana, cells[1]!)).toBe('monocyte')
    await expect.poll(() => statusLine(ana)).toBe('vic reclassified cells at another station: the slide is reloaded')
  })

  it('refuses a change made at the same moment against the old view, says so and reloads; nothing is lost silently', async () => {
    const third = (await value<SlideGallery>('review.gallery', { slideId })).groups.find((g) => g.label === 'unidentified')!.cells[0]!.id
    await ana.locator(`[data-cell="${third}"]`).click()
    await vic.locator(`[data-cell="${third}"]`).click()
    // Dr. Vic's eosinophil (key 2) leaves the browser first but is held on its way ...
    let release!: () => void
    const held = new Promise<void>((r) => (release = r))
    let sent: { revision?: number } | null = null
    await vic.route('**/api/review.reclassify', async (route) => {
      sent = JSON.parse(route.request().postData() ?? '{}') as { revision?: number }
      await held
      await route.continue()
    })
    await vic.keyboard.press('2')
    await expect.poll(() => sent !== null).toBe(true)
    // ... while Ana's basophil (key 3) goes through.
    await ana.keyboard.press('3')
    await expect.poll(() => groupOfCell(ana, third)).toBe('basophil')
    const now = await value<SlideGallery>('review.gallery', { slideId })
    expect(sent!.revision).toBeLessThan(now.revision)
    release()

    await expect.poll(() => statusLine(vic), { timeout: 10_000 }).toMatch(/^slide SLIDE-LAB-0001 was changed by someone else since you loaded it .*nothing was changed.*\(reloaded\)$/)
    await expect.poll(() => groupOfCell(vic, third)).toBe('basophil')
    expect(await groupCount(vic, 'eosinophil')).toBe(0)
    await shoot(vic, 'lab-server-stale-refused')
    await vic.unroute('**/api/review.reclassify')
    // The core holds Ana's label and no trace of the refused one.
    const history = await value<ReviewHistory>('review.history', { cellId: third })
    expect(history.changes.map((c) => `${c.new} by ${c.who}`)).toEqual(['basophil by ana'])

    // Looked at again, Dr. Vic's change goes through, and Ana sees it.
    await vic.locator(`[data-cell="${third}"]`).click()
    await vic.keyboard.press('2')
    await expect.poll(() => groupOfCell(ana, third), { timeout: 10_000 }).toBe('eosinophil')
    expect(pageErrors.flat().filter((e) => !/Failed to load resource/.test(e))).toEqual([])
  })
})
