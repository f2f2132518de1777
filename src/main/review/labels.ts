// The labels review works with: the Unidentified group, which labels are part
// of the leukocyte count, and how a reviewer's typed label becomes the
// store's canonical class name (the same table imports use).
import { isWbcClass, WBC_CLASSES } from '../../shared/cells'
import { NOT_COUNTED_LABELS, UNIDENTIFIED } from '../../shared/review'
import { parseClassName } from '../import/classes'
import { ReviewError } from './errors'

/** Immature granulocytes: a leukocyte, counted in the differential with its own row. */
export const IG_LABEL = 'ig'

/** The canonical class a reviewer's "unidentified" is stored as (the import's name for it). */
export const UNIDENTIFIED_LABEL = 'unidentified cell'

/** The gallery group of a stored label. */
export function groupOfLabel(label: string): string {
  return label === UNIDENTIFIED_LABEL || label === UNIDENTIFIED ? UNIDENTIFIED : label
}

/** Whether cells of this group are part of the differential's denominator. */
export function isCounted(group: string): boolean {
  return group !== UNIDENTIFIED && !NOT_COUNTED_LABELS.includes(group)
}

/** The five in model order, then IG (a leukocyte, counted), Unidentified, then the others by name. */
export function compareGroups(a: string, b: string): number {
  const n = WBC_CLASSES.length
  const rank = (g: string) => (isWbcClass(g) ? WBC_CLASSES.indexOf(g) : g === IG_LABEL ? n : g === UNIDENTIFIED ? n + 1 : n + 2)
  return rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0)
}

/**
 * A label a reviewer asked for, as the store spells it: aliases fold to the
 * canonical name ('Lymph' -> lymphocyte), a new label is kept normalised
 * ('hypersegmented neutrophil'), "unidentified" is the Unidentified group.
 */
export function canonicalReviewLabel(raw: string): string {
  if (raw.trim().toLowerCase() === UNIDENTIFIED) return UNIDENTIFIED_LABEL
  const parsed = parseClassName(raw)
  if (parsed.kind === 'class') return parsed.class
  if (parsed.kind === 'unknown' && parsed.normalised) return parsed.normalised
  throw new ReviewError('invalid_input', `"${raw}" is not a class a cell can be given`)
}
