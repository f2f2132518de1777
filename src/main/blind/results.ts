// A closed blind session's report: the expert's confusion matrix (as the W-Net
// paper's Table 9) over all, real and generated cells; accuracy on real and on
// generated cells; the real-vs-generated detection rate with its exact 95%
// interval (chance is 50%; CytoDiffusion's hematologists scored 52%); and one
// CSV row per cell. Only closed sessions are reported: the truth never leaves
// the core while an expert could still be answering.
import { blindOutcomes, getBlindSession, type BlindCellOutcome, type Db } from '../store/index.js'
import { clopperPearson } from '../stats/index.js'
import { csvCell } from '../export/csv-cell.js'
import type { BlindCellResult, BlindResults, ProportionWithInterval } from '../../shared/synthetic.js'
import { BlindSessionError, sessionView } from './session.js'

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

/** Computes the report from cell outcomes (exported for tests of the arithmetic). */
export function reportFromOutcomes(outcomes: BlindCellOutcome[], classes: string[], askOrigin: boolean): Omit<BlindResults, 'session' | 'recipe'> {
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
  const withOrigin = outcomes.filter((c) => c.answeredOrigin !== null)
  const detection =
    askOrigin
      ? {
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
      : null
  return {
    classes,
    confusion: { all: confusion(outcomes, classes), real: confusion(real, classes), generated: confusion(gen, classes) },
    accuracy: { all: accuracy(outcomes), real: accuracy(real), generated: accuracy(gen) },
    perClass: classes.map((k) => ({ class: k, real: accuracy(real.filter((c) => c.trueClass === k)), generated: accuracy(gen.filter((c) => c.trueClass === k)) })),
    detection,
    unanswered: outcomes.filter((c) => c.answeredClass === null).length,
    cells,
    csv: resultsCsv(cells)
  }
}

/** The report of a closed session; refused while it is open. */
export function blindResults(db: Db, sessionId: number): BlindResults {
  const s = getBlindSession(db, sessionId)
  if (!s) throw new BlindSessionError('not_found', `blind session ${sessionId} not found`)
  if (s.status !== 'closed') throw new BlindSessionError('conflict', 'close the session first: its results are not shown while it is open')
  return {
    session: sessionView(db, sessionId),
    recipe: JSON.parse(s.recipeJson) as unknown,
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
  return lines.join('\n')
}
