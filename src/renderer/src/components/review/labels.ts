// How the review screen names classes: display names, the short codes
// analysers use (NE, LY ...), and why a cell sits where it is.
import { UNIDENTIFIED, type CellBasis } from '../../../../shared/review'
import { cellLabelTitle } from '../../../../shared/cells'

const SHORT: Record<string, string> = { neutrophil: 'NE', eosinophil: 'EO', basophil: 'BA', lymphocyte: 'LY', monocyte: 'MO', [UNIDENTIFIED]: 'UN' }

export function classTitle(label: string): string {
  if (label === UNIDENTIFIED || label === 'unidentified cell') return 'Unidentified'
  return cellLabelTitle(label)
}

export function classShort(label: string): string {
  return SHORT[label] ?? label.replace(/[^a-z]/gi, '').slice(0, 3).toUpperCase()
}

export const BASIS_TEXT: Record<CellBasis, string> = {
  reviewer: 'set by a reviewer',
  expert: 'set by an expert',
  model: "the model's call",
  'below-threshold': "under the threshold: the model's call is only a suggestion",
  'model-unidentified': "the model's out-of-distribution check flagged it",
  'no-prediction': 'not classified yet'
}

export function percent(v: number, digits = 0): string {
  return `${(v * 100).toFixed(digits)}%`
}

export function when(iso: string): string {
  return new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' })
}
