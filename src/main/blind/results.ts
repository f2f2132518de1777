// A closed blind session's report: the expert's confusion matrix (as the W-Net
// paper's Table 9) over all, real and generated cells; accuracy on real and on
// generated cells; the real-vs-generated detection rate with its exact 95%
// interval (chance is 50%; CytoDiffusion's hematologists scored 52%); and one
// CSV row per cell and reader; per reader, and how far readers agree
// (Cohen's / Fleiss' kappa). Only closed sessions are reported: the truth never leaves
// the core while an expert could still be answering.
import { blindOutcomes, getBlindSession, type BlindCellOutcome, type Db } from '../store/index'
import { clopperPearson, cohenKappa, fleissKappa, type Kappa } from '../stats/index'
import { csvCell } from '../export/csv-cell'
import type { BlindAgreement, BlindCellResult, BlindReaderResult, BlindResults, ProportionWithInterval } from '../../shared/synthetic'
import { BlindSessionError, sessionView } from './session'

export function proportion(successes: number, trials: number): ProportionWithInterval {
  return { successes, trials, rate: trials ? successes / trials : null, ci95: clopperPearson(successes, trials, 0.95) }
}

function confusion(cells: BlindCellOutcome[], classes: string[]): number[][] {
  const m = classes.map(() => new Array<number>(classes.length).fill(0))
  for (const c of cells) {
    if (c.answeredClass === null) continue
    const r = classes.indexOf(c.trueClass)
    const k = classes.indexOf(c.answeredClass)
    if (r >= 0 && k >= 0) m[r][k]++
  }
  return m
}

function accuracy(cells: BlindCellOutcome[]): ProportionWithInterval {
  const answered = cells.filter((c) => c.answeredClass !== null)
  return proportion(answered.filter((c) => c.answeredClass === c.trueClass).length, answered.length)
}

const CSV_HEADER = ['position', 'cell_id', 'origin', 'true_class', 'answered_class', 'class_correct', 'answered_origin', 'origin_correct', 'who', 'answered_at', 'image_id', 'synthetic_image_id']


export function resultsCsv(cells: BlindCellResult[]): string {
  const rows = cells.map((c) =>
    [c.position + 1, c.cellId, c.origin, c.trueClass, c.answeredClass, c.classCorrect, c.answeredOrigin, c.originCorrect, c.who, c.answeredAt, c.imageId, c.syntheticImageId]
      .map(csvCell)
      .join(',')
  )
  return [CSV_HEADER.join(','), ...rows].join('\n') + '\n'
}

const readerKey = (c: BlindCellOutcome): string => (c.readerId !== null && c.readerId !== undefined ? `user:${c.readerId}` : `name:${c.who ?? ''}`)

/** Real-vs-generated calls: the share right, with exact 95% intervals (50% is chance). */
function detectionOf(rows: BlindCellOutcome[]): NonNullable<BlindResults['detection']> {
  const withOrigin = rows.filter((c) => c.answeredOrigin !== null)
  return {
    rate: proportion(withOrigin.filter((c) => c.answeredOrigin === c.origin).length, withOrigin.length),
    generatedCalledGenerated: proportion(
      withOrigin.filter((c) => c.origin === 'synthetic' && c.answeredOrigin === 'synthetic').length,
      withOrigin.filter((c) => c.origin === 'synthetic').length
    ),
    realCalledReal: proportion(
      withOrigin.filter((c) => c.origin === 'real' && c.answeredOrigin === 'real').length,
      withOrigin.filter((c) => c.origin === 'real').length
    )
  }
}

/**
 * Inter-reader agreement on the cells every reader answered: Cohen's kappa
 * for two readers, Fleiss' for three or more; on the class, and on real vs
 * generated when the session asked. Null with fewer than two readers.
 */
function agreementOf(outcomes: BlindCellOutcome[], readers: string[], askOrigin: boolean): BlindAgreement | null {
  if (readers.length < 2) return null
  const byCell = new Map<string, Map<string, BlindCellOutcome>>()
  for (const c of outcomes) {
    if (c.answeredClass === null) continue
    if (!byCell.has(c.token)) byCell.set(c.token, new Map())
    byCell.get(c.token)!.set(readerKey(c), c)
  }
  const complete = [...byCell.values()].filter((m) => readers.every((r) => m.has(r)))
  const measure = (pick: (c: BlindCellOutcome) => string | null): Kappa => {
    const rows = complete.filter((m) => readers.every((r) => pick(m.get(r)!) !== null)).map((m) => readers.map((r) => pick(m.get(r)!)!))
    return readers.length === 2 ? cohenKappa(rows.map(([a, b]) => [a, b] as const)) : fleissKappa(rows)
  }
  return {
    method: readers.length === 2 ? 'cohen' : 'fleiss',
    readers: readers.length,
    class: measure((c) => c.answeredClass),
    origin: askOrigin ? measure((c) => c.answeredOrigin) : null
  }
}

/** Computes the report from cell outcomes (one per cell and reader who answered it; one with no answer for a cell nobody answered). Exported for tests of the arithmetic. */
export function reportFromOutcomes(outcomes: BlindCellOutcome[], classes: string[], askOrigin: boolean): Omit<BlindResults, 'session' | 'recipe' | 'secret'> {
  const real = outcomes.filter((c) => c.origin === 'real')
  const gen = outcomes.filter((c) => c.origin === 'synthetic')
  const cells: BlindCellResult[] = outcomes.map((c) => {
    const answeredOrigin = c.answeredOrigin === 'synthetic' ? 'generated' : c.answeredOrigin === 'real' ? 'real' : null
    return {
      position: c.position,
      cellId: c.token,
      origin: c.origin === 'synthetic' ? 'generated' : 'real',
      trueClass: c.trueClass,
      imageId: c.imageId,
      syntheticImageId: c.syntheticImageId,
      answeredClass: c.answeredClass,
      answeredOrigin,
      classCorrect: c.answeredClass === null ? null : c.answeredClass === c.trueClass,
      originCorrect: c.answeredOrigin === null ? null : c.answeredOrigin === c.origin,
      who: c.who,
      answeredAt: c.answeredAt
    }
  })
  const detection = askOrigin ? detectionOf(outcomes) : null
  // Per reader: their own answers only (a reader is keyed by user id, else by the name given).
  const byReader = new Map<string, BlindCellOutcome[]>()
  for (const c of outcomes) {
    if (c.answeredClass === null) continue
    const key = readerKey(c)
    byReader.set(key, [...(byReader.get(key) ?? []), c])
  }
  // Readers in a fixed order: signed-in users by id, then names given on the command line.
  const keys = [...byReader.keys()].sort((a, b) => {
    const [ra, rb] = [byReader.get(a)![0], byReader.get(b)![0]]
    return (ra.readerId ?? Infinity) - (rb.readerId ?? Infinity) || (ra.who ?? '').localeCompare(rb.who ?? '')
  })
  const readers: BlindReaderResult[] = keys.map((k) => byReader.get(k)!).map((rows) => ({
    userId: rows[0].readerId ?? null,
    name: rows[0].who ?? '',
    answered: rows.length,
    accuracy: { all: accuracy(rows), real: accuracy(rows.filter((c) => c.origin === 'real')), generated: accuracy(rows.filter((c) => c.origin === 'synthetic')) },
    detection: askOrigin ? detectionOf(rows) : null
  }))
  const agreement = agreementOf(outcomes, keys, askOrigin)
  return {
    classes,
    confusion: { all: confusion(outcomes, classes), real: confusion(real, classes), generated: confusion(gen, classes) },
    accuracy: { all: accuracy(outcomes), real: accuracy(real), generated: accuracy(gen) },
    perClass: classes.map((k) => ({ class: k, real: accuracy(real.filter((c) => c.trueClass === k)), generated: accuracy(gen.filter((c) => c.trueClass === k)) })),
    detection,
    readers,
    agreement,
    unanswered: outcomes.filter((c) => c.answeredClass === null).length,
    cells,
    csv: resultsCsv(cells)
  }
}

/** The report of a closed session; refused while it is open. */
export function blindResults(db: Db, sessionId: number): BlindResults {
  const s = getBlindSession(db, sessionId)
  if (!s || !s.ready) throw new BlindSessionError('not_found', `blind session ${sessionId} not found`)
  if (s.status !== 'closed') throw new BlindSessionError('conflict', 'close the session first: its results are not shown while it is open')
  return {
    session: sessionView(db, sessionId),
    recipe: JSON.parse(s.recipeJson) as unknown,
    // Closed: the secret may now be shown, so the draw and order can be checked.
    secret: s.secret,
    ...reportFromOutcomes(blindOutcomes(db, sessionId), s.classes, s.askOrigin)
  }
}

const pct = (p: ProportionWithInterval) =>
  p.rate === null ? 'n/a' : `${(100 * p.rate).toFixed(1)}% (${p.successes}/${p.trials}, 95% CI ${(100 * p.ci95.low).toFixed(1)}-${(100 * p.ci95.high).toFixed(1)}%)`

/** The report as the CLI prints it. */
export function formatBlindResults(r: BlindResults): string {
  const w = Math.max(10, ...r.classes.map((c) => c.length))
  const table = (m: number[][]) => [
    `${'true \\ answered'.padEnd(w + 2)}${r.classes.map((c) => c.slice(0, 10).padStart(11)).join('')}`,
    ...m.map((row, i) => `${r.classes[i].padEnd(w + 2)}${row.map((n) => String(n).padStart(11)).join('')}`)
  ]
  const lines = [
    `Blind session #${r.session.id} "${r.session.name}": ${r.session.total} cells, ${r.session.total - r.unanswered} answered, closed ${r.session.closedAt}`,
    '',
    'Confusion matrix, all cells:',
    ...table(r.confusion.all),
    '',
    'Real cells:',
    ...table(r.confusion.real),
    '',
    'Generated cells:',
    ...table(r.confusion.generated),
    '',
    `Accuracy on real cells:      ${pct(r.accuracy.real)}`,
    `Accuracy on generated cells: ${pct(r.accuracy.generated)}`,
    `Accuracy overall:            ${pct(r.accuracy.all)}`
  ]
  if (r.detection) {
    lines.push('', `Real-vs-generated detection: ${pct(r.detection.rate)} (50% is chance)`)
    lines.push(`  generated called generated: ${pct(r.detection.generatedCalledGenerated)}`)
    lines.push(`  real called real:           ${pct(r.detection.realCalledReal)}`)
  }
  if (r.readers.length > 1) {
    lines.push('', 'Per reader:')
    for (const x of r.readers) {
      lines.push(`  ${x.name || `user ${x.userId}`}: ${x.answered} answered, accuracy ${pct(x.accuracy.all)}${x.detection ? `, detection ${pct(x.detection.rate)}` : ''}`)
    }
  }
  if (r.agreement) {
    const k = (x: { kappa: number | null; items: number }) => (x.kappa === null ? 'n/a' : `${x.kappa.toFixed(3)} over ${x.items} cells`)
    lines.push('', `Agreement (${r.agreement.method === 'cohen' ? "Cohen's" : "Fleiss'"} kappa, ${r.agreement.readers} readers): class ${k(r.agreement.class)}${r.agreement.origin ? `; real vs generated ${k(r.agreement.origin)}` : ''}`)
  }
  return lines.join('\n')
}
