import { describe, expect, it } from 'vitest'
import { parseClassName } from '../../../src/main/import/classes'

const cls = (raw: string) => {
  const c = parseClassName(raw)
  return c.kind === 'class' ? c.class : c.kind
}

describe('class folder names', () => {
  it.each([
    ['neutrophil', 'neutrophil'], ['NE', 'neutrophil'], ['NEU', 'neutrophil'], ['SNE', 'neutrophil'], ['BNE', 'neutrophil'], ['band', 'neutrophil'],
    ['Segmented', 'neutrophil'], ['01.NE', 'neutrophil'], ['02_SNE', 'neutrophil'], ['Neutrophils', 'neutrophil'],
    ['EO', 'eosinophil'], ['eos', 'eosinophil'], ['03-EO', 'eosinophil'],
    ['BA', 'basophil'], ['BASO', 'basophil'], ['Basophil', 'basophil'],
    ['LY', 'lymphocyte'], ['LYM', 'lymphocyte'], ['LYMPH', 'lymphocyte'], ['04.LY', 'lymphocyte'],
    ['MO', 'monocyte'], ['MONO', 'monocyte'], ['5 - Monocytes', 'monocyte'],
    ['ig', 'ig'], ['IG', 'ig'], ['erythroblast', 'erythroblast'], ['NRBC', 'erythroblast'], ['platelet', 'platelet'], ['PLT', 'platelet'],
    ['smudge', 'smudge'], ['Smudge cells', 'smudge'], ['artefact', 'artefact'], ['Artifact', 'artefact'], ['VLY', 'reactive lymphocyte'],
    ['Unclassified', 'unlabelled'], ['unlabelled', 'unlabelled'],
    ['wobble', 'unknown'], ['SAMPLE-001', 'unknown'], ['2024-05-01', 'unknown']
  ])('%s -> %s', (raw, expected) => {
    expect(cls(raw)).toBe(expected)
  })
})
