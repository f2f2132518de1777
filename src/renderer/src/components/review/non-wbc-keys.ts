// Fixed keys for the objects that are not leukocytes (counted per 100 WBC,
// outside the differential), so a reviewer never has to type them with O.
// Letters, because 1-9 and 0 are the leukocyte classes and Unidentified.
import { NOT_COUNTED_LABELS } from '../../../../shared/review'
import type { ClassKey } from '../../stores/review'

export const NON_WBC_KEYS: readonly (ClassKey & { title: string; short: string })[] = [
  { key: 'n', label: 'erythroblast', title: 'NRBC (erythroblast)', short: 'NRBC' },
  { key: 'd', label: 'smudge', title: 'Smudge cell', short: 'Smudge' },
  { key: 'k', label: 'platelet aggregate', title: 'Platelet clump (aggregate)', short: 'Clump' },
  { key: 'p', label: 'platelet', title: 'Platelet', short: 'Plt' },
  { key: 'g', label: 'giant platelet', title: 'Giant platelet', short: 'Giant plt' },
  { key: 'f', label: 'artefact', title: 'Artefact', short: 'Artef.' }
]

// Every non-leukocyte label has its key (a test checks the two lists agree).
export const NON_WBC_LABELS_WITHOUT_KEY = NOT_COUNTED_LABELS.filter((l) => !NON_WBC_KEYS.some((k) => k.label === l))

/** The non-leukocyte class a key press gives (case-insensitive), if any. */
export function nonWbcKeyFor(key: string): (typeof NON_WBC_KEYS)[number] | undefined {
  return key.length === 1 ? NON_WBC_KEYS.find((k) => k.key === key.toLowerCase()) : undefined
}
