// The lab's vocabulary shared by every layer: the five white-blood-cell types
// W-Net classifies, in the order of the model's outputs and of the review
// keys 1-5. Types and constants only (no Node, no DOM).

export const WBC_CLASSES = ['neutrophil', 'eosinophil', 'basophil', 'lymphocyte', 'monocyte'] as const
export type WbcClass = (typeof WBC_CLASSES)[number]

/** A label is one of the five, or any other class an export carries (ig, erythroblast, platelet, smudge ...). */
export type CellLabel = WbcClass | (string & {})

export function isWbcClass(label: string): label is WbcClass {
  return (WBC_CLASSES as readonly string[]).includes(label)
}

/**
 * Labels written as abbreviations in the lab: they are shown in capitals,
 * never as a capitalised word ("IG", not "Ig").
 */
const LABEL_ABBREVIATIONS: Record<string, string> = { ig: 'IG', nrbc: 'NRBC', rbc: 'RBC', wbc: 'WBC', lgl: 'LGL' }

/** How a label reads on screen and in reports: "Neutrophil", "IG", "Smudge". */
export function cellLabelTitle(label: string): string {
  const abbreviation = LABEL_ABBREVIATIONS[label.toLowerCase()]
  if (abbreviation) return abbreviation
  return label.length === 0 ? label : label[0]!.toUpperCase() + label.slice(1)
}
