// People end to end, in Chromium against `wbc serve`: the first admin (made
// with `wbc user add` as the command line's local operator) signs in and
// adds two verifiers and a reader on the Users screen; the first verifier
// reviews a real slide and signs it with her password; the report stays
// preliminary because the lab asks for a second verification; a second,
// different verifier co-signs; the PDF, HL7 and FHIR downloaded from the
// screen then name both verifiers with their times; the reader signs in and
// sees the blind-session screen alone.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { createRequire } from 'node:module'
import { basename, dirname, join } from 'node:path'
import type { BrowserContext, Page } from 'playwright-core'
import { getDocument } from 'pdfjs-dist/legacy/build/pdf.mjs'
import { realCells } from '../helpers/datasets'
import { apiAs, launchBrowser, requireBuiltRendererAndChromium, SHOTS, shoot, signIn, signOut, startServe, type Served } from './harness'
import { wbc as run } from '../helpers/wbc'

/** Runs `wbc <args>` in-process (stdin: a password); throws with its output when it fails. */
async function wbc(args: string[], stdin = ''): Promise<void> {
  const r = await run(args, {}, stdin)
  if (r.code !== 0) throw new Error(`wbc ${args.join(' ')} exited ${r.code}:\n${r.out}\n${r.err}`)
}

const SLIDE = 'SLIDE-PEOPLE-0001'
const ADMIN_PASSWORD = 'ada has a long password'
const VERA = { name: 'vera', display: 'Dr Vera First', password: 'vera has a long password' }
const VIC = { name: 'vic', display: 'Dr Victor Second', password: 'vic has a long password' }
const RITA = { name: 'rita', display: 'Rita Reader', password: 'rita has a long password' }

let tmp: string
let served: Served | undefined
let context: BrowserContext | undefined
let page: Page
let errors: string[] = []
let slideId: number

async function download(testid: string): Promise<{ name: string; bytes: Buffer }> {
  const [d] = await Promise.all([page.waitForEvent('download'), page.getByTestId(testid).click()])
  return { name: d.suggestedFilename(), bytes: readFileSync((await d.path())!) }
}

async function pdfText(bytes: Buffer): Promise<string> {
  const standardFontDataUrl = join(dirname(createRequire(import.meta.url).resolve('pdfjs-dist/package.json')), 'standard_fonts') + '/'
  const doc = await getDocument({ data: new Uint8Array(bytes), standardFontDataUrl }).promise
  let out = ''
  for (let p = 1; p <= doc.numPages; p++) out += (await (await doc.getPage(p)).getTextContent()).items.map((i) => ('str' in i ? i.str : '')).join(' ') + '\n'
  return out
}

/** Adds a user on the Users screen, roles chosen with their checkboxes. */
async function addOnUsersScreen(u: { name: string; display: string; password: string }, role: string): Promise<void> {
  await page.getByTestId('user-name').fill(u.name)
  await page.getByTestId('user-display').fill(u.display)
  for (const r of ['admin', 'technologist', 'verifier', 'organiser', 'reader']) await page.getByTestId(`user-role-${r}`).setChecked(r === role)
  await page.getByTestId('user-password').fill(u.password)
  await page.getByTestId('user-submit').click()
  await expect.poll(() => page.getByTestId('users-table').locator(`tr[data-user="${u.name}"]`).count(), { timeout: 20_000 }).toBe(1)
}

beforeAll(async () => {
  requireBuiltRendererAndChromium()
  mkdirSync(SHOTS, { recursive: true })
  tmp = mkdtempSync(join(tmpdir(), 'wbc-people-e2e-'))
  // A slide of six real cells, not classified: the verifier gives each its class.
  const slideDir = join(tmp, 'export', SLIDE)
  mkdirSync(slideDir, { recursive: true })
  for (const f of realCells('pbc-wbc', 'neutrophil', 6)) copyFileSync(f, join(slideDir, basename(f)))
  const db = join(tmp, 'wbc.sqlite')
  await wbc(['import', join(tmp, 'export'), '--db', db])
  // The first admin from the command line, and the lab's rule: every report needs a second verifier.
  await wbc(['user', 'add', 'ada', '--role', 'admin', '--display-name', 'Ada Admin', '--password-stdin', '--db', db], `${ADMIN_PASSWORD}\n`)
  await wbc(['slide', 'settings', '--lab', '--second-verification', 'yes', '--db', db])
  served = await startServe(db)
  ;({ context, page, errors } = await launchBrowser(join(tmp, 'profile')))
}, 120_000)

afterAll(async () => {
  await context?.close()
  await served?.stop()
  if (tmp) rmSync(tmp, { recursive: true, force: true })
})

describe('people, end to end', () => {
  it('the admin adds two verifiers and a reader on the Users screen', async () => {
    await signIn(page, served!.url, 'ada', ADMIN_PASSWORD)
    await page.locator('a[data-screen="users"]').click()
    await page.getByRole('heading', { name: 'Users', level: 1 }).waitFor()
    await addOnUsersScreen(VERA, 'verifier')
    await addOnUsersScreen(VIC, 'verifier')
    await addOnUsersScreen(RITA, 'reader')
    expect(await page.getByTestId('users-table').locator('tr[data-user="rita"]').textContent()).toContain('reader')
    await shoot(page, 'people-users')
    await signOut(page)
  })

  it('the first verifier reviews the slide and signs with her password; the report stays preliminary', async () => {
    await signIn(page, served!.url, VERA.name, VERA.password)
    slideId = ((await (await apiAs(served!.url, VERA.name, VERA.password))('slides.list', {})) as { value: { id: number; sampleId: string }[] }).value.find((s) => s.sampleId === SLIDE)!.id
    await page.evaluate((id) => ((globalThis as unknown as { location: { hash: string } }).location.hash = `#/review/${id}`), slideId)
    await page.getByTestId('gallery').waitFor()
    // Every cell waits in Unidentified: select the group (A) and make them neutrophils (1).
    await page.keyboard.press('a')
    await page.keyboard.press('1')
    await expect.poll(() => page.locator('[data-group="neutrophil"] [data-testid="group-count"]').textContent(), { timeout: 20_000 }).toBe('6')
    await page.keyboard.press('s')
    const dialog = page.getByTestId('sign-dialog')
    await dialog.waitFor()
    expect(await dialog.getByTestId('sign-who').textContent()).toBe(VERA.display)
    await dialog.getByTestId('sign-password').fill(VERA.password)
    await page.keyboard.press('Enter')
    await page.getByTestId('signed-banner').waitFor()
    expect(await page.getByTestId('awaiting-second').textContent()).toContain('awaiting a second verifier')
    expect(await page.getByTestId('report-status').textContent()).toBe('preliminary')
    // She cannot be her own second verifier.
    const again = await (await apiAs(served!.url, VERA.name, VERA.password))('review.sign', { slideId, meaning: 'again', password: VERA.password })
    expect(again).toMatchObject({ ok: false, error: { code: 'conflict', message: expect.stringMatching(/verifier other than vera/) } })
    await shoot(page, 'people-signed-awaiting-second')
    await signOut(page)
  })

  it('a second, different verifier co-signs; the PDF, HL7 and FHIR name both verifiers with their times', async () => {
    await signIn(page, served!.url, VIC.name, VIC.password)
    await page.evaluate((id) => ((globalThis as unknown as { location: { hash: string } }).location.hash = `#/review/${id}`), slideId)
    await page.getByTestId('verify-second').click()
    const dialog = page.getByTestId('sign-dialog')
    await dialog.waitFor()
    expect(await dialog.getByRole('heading').first().textContent()).toContain('Second verification')
    await dialog.getByTestId('sign-password').fill(VIC.password)
    await page.keyboard.press('Enter')
    await page.getByTestId('signature-2').waitFor()
    expect(await page.getByTestId('signature-1').textContent()).toContain('vera')
    expect(await page.getByTestId('signature-2').textContent()).toContain('vic')
    await expect.poll(() => page.getByTestId('report-status').textContent(), { timeout: 20_000 }).toBe('final')
    await shoot(page, 'people-second-verification')

    const history = (await (await apiAs(served!.url, VIC.name, VIC.password))('review.history', { slideId })) as {
      value: { signOffs: { who: string; at: string; verification: number; userId: number }[] }
    }
    const [first, second] = history.value.signOffs
    expect([first!.who, second!.who]).toEqual(['vera', 'vic'])
    expect(first!.userId).not.toBe(second!.userId)
    const hl7Time = (iso: string) => iso.slice(0, 19).replace(/[-T:]/g, '')

    const hl7 = (await download('export-hl7')).bytes.toString('utf8')
    const obr = hl7.split('\r').find((s) => s.startsWith('OBR|'))!.split('|')
    expect(obr[25]).toBe('F')
    expect(obr[32]).toBe(`vera&${VERA.display}^${hl7Time(first!.at)}+0000`)
    expect(obr[33]).toBe(`vic&${VIC.display}^${hl7Time(second!.at)}+0000`)

    const bundle = JSON.parse((await download('export-fhir')).bytes.toString('utf8')) as { entry: { resource: Record<string, unknown> }[] }
    const resources = bundle.entry.map((e) => e.resource)
    const provenances = resources.filter((r) => r.resourceType === 'Provenance') as { recorded: string; agent: { who: { display: string } }[] }[]
    expect(provenances.map((p) => [p.agent[0]!.who.display, p.recorded])).toEqual([
      [VERA.display, first!.at],
      [VIC.display, second!.at]
    ])
    expect(resources.find((r) => r.resourceType === 'DiagnosticReport')).toMatchObject({ status: 'final', resultsInterpreter: [{ display: VERA.display }, { display: VIC.display }] })

    const pdf = await pdfText((await download('export-pdf')).bytes)
    // The PDF shows the times in the lab's zone, to the second (HL7 and FHIR above carry them exactly).
    const labTime = (iso: string) => new RegExp(`${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`)
    expect(pdf).toContain(`Verified by ${VERA.display} (vera), `)
    expect(pdf).toMatch(labTime(first!.at))
    expect(pdf).toContain(`Second verification by ${VIC.display} (vic), `)
    expect(pdf).toMatch(labTime(second!.at))
    expect(pdf).not.toContain('PRELIMINARY')
    await signOut(page)
  })

  it('the reader signs in and sees the blind-session screen alone', async () => {
    await signIn(page, served!.url, RITA.name, RITA.password)
    expect(await page.locator('.nav-link .nav-title').allTextContents()).toEqual(['Blind sessions'])
    await page.getByRole('heading', { name: 'Blind sessions', level: 1 }).waitFor()
    // No recipe form, no results: a reader answers sessions and nothing else.
    expect(await page.getByTestId('blind-create').count()).toBe(0)
    expect(await page.getByTestId('db-path').count()).toBe(0)
    // Even typed by hand, another screen's address shows nothing of it.
    await page.evaluate((id) => ((globalThis as unknown as { location: { hash: string } }).location.hash = `#/review/${id}`), slideId)
    await page.getByTestId('not-for-role').waitFor()
    expect(await page.getByTestId('gallery').count()).toBe(0)
    await shoot(page, 'people-reader')
  })

  it('ran without console errors', () => {
    expect(errors).toEqual([])
  })
})
