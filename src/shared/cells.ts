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
