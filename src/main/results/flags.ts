// The flag a result gets from its interval (HL7 table 0078: LL/L/H/HH). The
// value compared is the one reported (rounded as printed), so a printed
// 80.0% is never flagged against a high limit of 80.
import type { AppliedRange, ResultFlag } from '../../shared/ranges'

export function flagFor(reported: number, range: AppliedRange | null): ResultFlag | null {
  if (!range) return null
  if (range.criticalLow !== null && reported < range.criticalLow) return 'LL'
  if (range.criticalHigh !== null && reported > range.criticalHigh) return 'HH'
  if (range.low !== null && reported < range.low) return 'L'
  if (range.high !== null && reported > range.high) return 'H'
  return null
}

/** Words for a flag, as the PDF and the screen print them. */
export const FLAG_WORDS: Readonly<Record<ResultFlag, string>> = {
  LL: 'critically low',
  L: 'low',
  H: 'high',
  HH: 'critically high'
}
