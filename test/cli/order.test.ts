// `wbc worklist import`, `wbc slide order` and `wbc ranges show|set|reset`
// on a real slide (8 real cells, fixture model calls): the worklist matched by
// sample id, a correction audited with the CLI's --who, a reference table
// checked by the contract's schema and the core, and `wbc slide show`
// printing the ranges, flags and absolute counts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { wbc as run } from '../helpers/wbc'
import { PLAN, realSlide, type SlideFixture } from '../main/review/fixtures'

const SAMPLE = 'S-2026-0123'
let f: SlideFixture
beforeAll(async () => {
  f = await realSlide(PLAN.slice(0, 8), SAMPLE)
})
afterAll(() => f?.close())

const wbc = (args: string[]) => run([...args, '--db', join(f.dir, 'wbc.db')])

describe('order and ranges commands', () => {
  it('imports a worklist by sample id and reports the samples it has no slide for', async () => {
    const file = join(f.dir, 'worklist.csv')
    writeFileSync(file, `Sample,Accession,MRN,Surname,Forename,DOB,Sex,WBC\n${SAMPLE},ACC-9,MRN-9,Doe,Jane,1980-05-17,F,6.0\nS-NONE,ACC-0,MRN-0,X,Y,1970-01-01,M,5\n`)
    const r = await wbc(['worklist', 'import', file, '--who', 'lis-bot'])
    expect(r.code).toBe(0)
    expect(r.out).toContain(`2 rows read; 1 slide updated (${SAMPLE})`)
    expect(r.out).toContain('No slide for: S-NONE')
    const shown = JSON.parse((await wbc(['slide', 'order', SAMPLE, '--json'])).out) as { order: Record<string, unknown>; history: { who: string; source: string }[] }
    expect(shown.order).toMatchObject({ orderId: 'ACC-9', patientId: 'MRN-9', familyName: 'Doe', sex: 'F', wbcCount: 6 })
    expect(shown.history.every((h) => h.who === 'lis-bot' && h.source === 'worklist')).toBe(true)
  })

  it('corrects a field with --set, audited with who and why; an unreadable value fails', async () => {
    const r = await wbc(['slide', 'order', SAMPLE, '--set', 'wbcCount=6.4', '--set', 'location=ED', '--why', 'rerun', '--who', 'Dr Lee'])
    expect(r.code).toBe(0)
    expect(r.out).toMatch(/Dr Lee \(reviewer\) wbcCount: 6 -> 6\.4 \(rerun\)/)
    const bad = await wbc(['slide', 'order', SAMPLE, '--set', 'birthDate=03/04/1950'])
    expect(bad.code).toBe(1)
    expect(bad.err).toMatch(/day\/month order cannot be told/)
  })

  it('shows ranges, flags and absolute counts in `slide show`', async () => {
    // 8 cells at threshold 0.8: 3 neutrophils, 2 lymphocytes ... of 5 counted; WBC 6.4.
    const r = await wbc(['slide', 'show', SAMPLE])
    expect(r.out).toMatch(/^ {2}eosinophil\s+\d+\s+[\d.]+%\s+\([\d.]+-[\d.]+%\)\s+ref 1-6/m)
    expect(r.out).toMatch(/x10\^9\/L ref 2-7/)
    expect(r.out).toContain('WBC 6.4 x10^9/L')
    expect(r.out).toContain('reference intervals: Adult default (Dacie and Lewis)')
  })

  it('prints, replaces and resets the reference table; an inverted interval or a bad row is refused', async () => {
    const shown = JSON.parse((await wbc(['ranges', 'show', '--json'])).out) as { name: string; source: string; intervals: { class: string; measure: string; high: number | null; low: number | null }[] }
    expect(shown.source).toContain('Dacie and Lewis Practical Haematology')
    const baso = shown.intervals.find((r) => r.class === 'basophil' && r.measure === 'percent')!
    baso.high = 3
    const file = join(f.dir, 'ranges.json')
    writeFileSync(file, JSON.stringify({ ...shown, name: 'Lab 2026' }))
    const set = await wbc(['ranges', 'set', file, '--who', 'admin', '--why', 'own study'])
    expect(set.code).toBe(0)
    expect(set.out).toMatch(/^Lab 2026 \(set by admin at /)
    baso.low = 9
    writeFileSync(file, JSON.stringify(shown))
    const inverted = await wbc(['ranges', 'set', file])
    expect(inverted.code).toBe(1)
    expect(inverted.err).toMatch(/low is above high/)
    writeFileSync(file, JSON.stringify({ name: 'x', source: '', intervals: [{ class: 'basophil', measure: 'ratio' }] }))
    expect((await wbc(['ranges', 'set', file])).err).toMatch(/intervals\.0\.measure/)
    const reset = await wbc(['ranges', 'reset', '--who', 'admin'])
    expect(reset.out).toMatch(/^Adult default \(Dacie and Lewis\) \(set by admin/)
  })
})
