// `wbc validate`: two real slides (fixture cells, imported by the real
// importer, with fixture model calls so the workstation's counts are known)
// against a lab's manual 200-cell differentials. Expected figures are worked
// out by hand in the comments; the exact intervals are Clopper-Pearson values
// from an independent implementation (scipy's beta.ppf).
import { rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { importPath } from '../../../src/main/import'
import { getSlideBySampleId, listImages, openStore, type Db } from '../../../src/main/store'
import { reclassifyCells } from '../../../src/main/review'
import { parseManualCounts, validateAgainstManual } from '../../../src/main/validation'
import { blandAltman } from '../../../src/main/stats'
import { CoreError } from '../../../src/main/errors'
import { wbc } from '../../helpers/wbc'
import { copyCells, tempDir } from '../import/fixtures'
import { fixtureModel, predict } from '../review/fixtures'

// Slide A, 8 cells: 4 NE, 2 LY, 1 MO, 1 EO. Slide B, 8 cells: 6 NE, 1 LY, 1 MO.
const SLIDES: Record<string, [string, number][]> = {
  'SLIDE-A': [['neutrophil', 4], ['lymphocyte', 2], ['monocyte', 1], ['eosinophil', 1]],
  'SLIDE-B': [['neutrophil', 6], ['lymphocyte', 1], ['monocyte', 1]]
}
// Manual 200-cell counts (plus blasts, which the workstation's differential does not count).
const MANUAL = `sample,class,count
SLIDE-A,NE,100
SLIDE-A,LY,60
SLIDE-A,MO,20
SLIDE-A,EO,16
SLIDE-A,BA,4
SLIDE-A,blast,6
SLIDE-B,neutrophil,40
SLIDE-B,lymphocyte,120
SLIDE-B,monocyte,20
SLIDE-B,eosinophil,16
SLIDE-B,basophil,4
SLIDE-C,neutrophil,50
`

const dir = tempDir('wbc-validate-')
const truth = new Map<string, string>()
const truthOf = (fileName: string) => truth.get(fileName)
let db: Db
let dbFile: string
beforeAll(async () => {
  const exportRoot = join(dir, 'export')
  let offset = 0
  for (const [sample, plan] of Object.entries(SLIDES)) {
    for (const [cls, n] of plan) for (const f of copyCells('pbc-wbc', cls, n, exportRoot, sample, offset)) truth.set(f.split('/').pop()!, cls)
    offset += 6 // slide B takes other cells than slide A
  }
  dbFile = join(dir, 'wbc.sqlite')
  db = openStore(dbFile)
  const r = await importPath(db, exportRoot, { dataset: null, cachePixels: false })
  expect(r.counts.imported).toBe(16)
  const model = fixtureModel(db)
  // The fixture model calls every cell its true class, confidently: the workstation's counts are the plan's.
  for (const img of listImages(db)) predict(db, model, img.id, { label: truth.get(img.fileName)!, confidence: 0.95 })
})
afterAll(() => {
  db?.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('local validation against manual differentials', () => {
  it('gives per-class bias, limits of agreement and whether each manual share lies inside the workstation CI', () => {
    const r = validateAgainstManual(db, parseManualCounts(MANUAL))
    expect(r.samples.map((s) => [s.sampleId, s.workstationTotal, s.manualTotal])).toEqual([['SLIDE-A', 8, 200], ['SLIDE-B', 8, 200]])
    expect(r.skipped).toEqual([{ sampleId: 'SLIDE-C', reason: 'no slide with this sample id in the store' }])
    expect(r.ignored).toEqual([{ line: 7, sampleId: 'SLIDE-A', class: 'blast' }])
    const a = Object.fromEntries(r.samples[0]!.lines.map((l) => [l.class, l]))
    const b = Object.fromEntries(r.samples[1]!.lines.map((l) => [l.class, l]))
    // A: workstation NE 4/8 = 50% (CI 15.70-84.30), manual 100/200 = 50%.
    expect(a.neutrophil!.workstation.ciLow).toBeCloseTo(15.7013, 3)
    expect(a.neutrophil!.workstation.ciHigh).toBeCloseTo(84.2987, 3)
    expect(a.neutrophil!.difference).toBeCloseTo(0, 10)
    // A: LY 25% vs 30%; basophil 0/8 (CI 0-36.94) vs 2%.
    expect(a.lymphocyte!.difference).toBeCloseTo(-5, 10)
    expect(a.basophil!.workstation.ciHigh).toBeCloseTo(36.9417, 3)
    expect(Object.values(a).every((l) => l.insideCi)).toBe(true)
    // B: NE 6/8 = 75% (CI 34.91-96.81) vs 20%: outside. LY 1/8 = 12.5% (CI 0.32-52.65) vs 60%: outside.
    expect(b.neutrophil!.workstation.ciLow).toBeCloseTo(34.9144, 3)
    expect(b.neutrophil!.insideCi).toBe(false)
    expect(b.lymphocyte!.workstation.ciHigh).toBeCloseTo(52.651, 2)
    expect(b.lymphocyte!.insideCi).toBe(false)
    expect(b.monocyte!.insideCi).toBe(true)
    const per = Object.fromEntries(r.perClass.map((c) => [c.class, c]))
    // NE differences 0 and +55: bias 27.5, SD 55/sqrt(2) = 38.891, limits 27.5 -+ 1.96 SD.
    expect(per.neutrophil!.n).toBe(2)
    expect(per.neutrophil!.bias).toBeCloseTo(27.5, 10)
    expect(per.neutrophil!.sd).toBeCloseTo(38.8909, 3)
    expect(per.neutrophil!.lower).toBeCloseTo(27.5 - 76.2262, 3)
    expect(per.neutrophil!.upper).toBeCloseTo(27.5 + 76.2262, 3)
    expect(per.neutrophil!.insideCi).toBe(1)
    expect(per.neutrophil!.outside).toEqual(['SLIDE-B'])
    // LY differences -5 and -47.5: bias -26.25.
    expect(per.lymphocyte!.bias).toBeCloseTo(-26.25, 10)
    // MO +2.5 on both: no spread.
    expect(per.monocyte!.bias).toBeCloseTo(2.5, 10)
    expect(per.monocyte!.sd).toBeCloseTo(0, 10)
    // EO: +4.5 (12.5 vs 8) and -8 (0 vs 8).
    expect(per.eosinophil!.bias).toBeCloseTo(-1.75, 10)
    expect(per.eosinophil!.insideCi).toBe(2)
  })

  it('compares only signed slides when asked', () => {
    const r = validateAgainstManual(db, parseManualCounts(MANUAL), { signedOnly: true })
    expect(r.samples).toEqual([])
    expect(r.skipped.map((s) => s.reason)).toEqual(['not signed', 'not signed', 'no slide with this sample id in the store'])
  })

  it('reads percentages (shares renormalised over the five classes) and refuses a malformed file', () => {
    const m = parseManualCounts('Sample ID;Class;Percent\nSLIDE-A;Neutrophils;45%\nSLIDE-A;Lymphocytes;27\nSLIDE-A;Monocytes;9\nSLIDE-A;Eosinophils;7.2\nSLIDE-A;Basophils;1.8\nSLIDE-A;Blast;10\n')
    expect(m.kind).toBe('percent')
    const r = validateAgainstManual(db, m)
    // The five sum to 90%: NE 45/90 = 50%.
    expect(r.samples[0]!.lines.find((l) => l.class === 'neutrophil')!.manual).toEqual({ count: null, percent: 50 })
    expect(r.ignored.map((i) => i.class)).toEqual(['Blast'])
    expect(() => parseManualCounts('sample,class\nA,NE\n')).toThrow(CoreError)
    expect(() => parseManualCounts('sample,class,count\nA,NE,2.5\n')).toThrow(/whole number/)
    expect(() => parseManualCounts('sample,class,count\nA,NE,2\nA,ne,3\n')).toThrow(/twice/)
    // Segmented and band neutrophils are both neutrophils.
    const seg = validateAgainstManual(db, parseManualCounts('sample,class,count\nSLIDE-A,segmented neutrophil,80\nSLIDE-A,band,20\nSLIDE-A,LY,100\n'))
    expect(seg.samples[0]!.lines.find((l) => l.class === 'neutrophil')!.manual).toEqual({ count: 100, percent: 50 })
  })

  it('Bland-Altman of fewer than two samples has no limits', () => {
    expect(blandAltman([3])).toEqual({ n: 1, bias: 3, sd: null, lower: null, upper: null })
  })

  it('is `wbc validate FILE` on the command line, as text and as JSON', async () => {
    const csv = join(dir, 'manual.csv')
    writeFileSync(csv, MANUAL)
    const text = await wbc(['--db', dbFile, 'validate', csv])
    expect(text.code).toBe(0)
    expect(text.out).toMatch(/2 slide\(s\) compared/)
    expect(text.out).toMatch(/neutrophil\s+2\s+\+27\.5\s+-48\.7 to \+103\.7\s+1\/2\s+outside: SLIDE-B/)
    expect(text.out).toMatch(/skipped SLIDE-C: no slide/)
    const json = await wbc(['--db', dbFile, 'validate', csv, '--json'])
    expect(JSON.parse(json.out).perClass[0]).toMatchObject({ class: 'neutrophil', n: 2, insideCi: 1 })
    const none = await wbc(['--db', dbFile, 'validate', csv, '--signed-only'])
    expect(none.code).toBe(1)
    expect(none.err).toMatch(/no slide could be compared/)
  })

  // Last: it reclassifies cells of slide B.
  it('compares IG where the slide counts IG (manual promyelocytes, myelocytes, metamyelocytes summed), and sets it aside where it does not', () => {
    const slideB = getSlideBySampleId(db, 'SLIDE-B')!.id
    const neutrophils = listImages(db).filter((i) => i.slideId === slideB && truthOf(i.fileName) === 'neutrophil').slice(0, 2)
    reclassifyCells(db, { slideId: slideB, cellIds: neutrophils.map((i) => i.id), label: 'ig', who: 'Dr Lee' })
    const r = validateAgainstManual(
      db,
      parseManualCounts(
        'sample,class,count\nSLIDE-A,NE,100\nSLIDE-A,LY,60\nSLIDE-A,MO,20\nSLIDE-A,EO,16\nSLIDE-A,BA,4\nSLIDE-A,metamyelocyte,5\n' +
          'SLIDE-B,NE,40\nSLIDE-B,LY,120\nSLIDE-B,MO,20\nSLIDE-B,EO,16\nSLIDE-B,BA,4\nSLIDE-B,metamyelocyte,10\nSLIDE-B,myelocyte,6\nSLIDE-B,blast,2\nSLIDE-B,foo cell,1\n'
      )
    )
    const [a, b] = r.samples
    expect(a!.classes).not.toContain('ig')
    expect(b!.classes).toContain('ig')
    // B: NE 4, LY 1, MO 1, IG 2 of 8; manual IG = 10 + 6 = 16 over 40+120+20+16+4+16 = 216 cells.
    expect(b!.manualTotal).toBe(216)
    const ig = b!.lines.find((l) => l.class === 'ig')!
    expect(ig.workstation).toMatchObject({ count: 2, percent: 25 })
    expect(ig.manual.count).toBe(16)
    expect(ig.manual.percent).toBeCloseTo((100 * 16) / 216, 10)
    // A counts no IG: its metamyelocytes are set aside (and A's shares stay over 200 cells), as are B's blast and an unknown name.
    expect(a!.manualTotal).toBe(200)
    expect(r.ignored).toEqual([
      { line: 7, sampleId: 'SLIDE-A', class: 'metamyelocyte' },
      { line: 15, sampleId: 'SLIDE-B', class: 'blast' },
      { line: 16, sampleId: 'SLIDE-B', class: 'foo cell' }
    ])
    const per = Object.fromEntries(r.perClass.map((c) => [c.class, c]))
    expect(per.ig).toMatchObject({ n: 1 })
    expect(per.ig!.bias).toBeCloseTo(25 - (100 * 16) / 216, 10)
    expect(per.neutrophil!.n).toBe(2)
  })
})
