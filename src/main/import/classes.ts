// Folder names and manifest values to cell classes. Analysers and published
// sets spell the five W-Net classes many ways (NE, SNE, BNE, 01.NE, Lymph ...);
// they all map to the five canonical names. Other cell classes an export
// carries (ig, erythroblast, platelet, smudge, artefact ...) keep their own
// canonical name, never forced into the five.
import { WBC_CLASSES } from '../../shared/cells'

export type ClassName =
  | { kind: 'class'; class: string }
  /** A folder of cells nobody has classified yet ('unclassified', 'unlabelled' ...). */
  | { kind: 'unlabelled' }
  /** Not a name we know as a cell class. */
  | { kind: 'unknown'; normalised: string }

const ALIASES: Record<string, string[]> = {
  // The five W-Net classes (bands and segmented forms are neutrophils).
  neutrophil: [
    'neutrophil', 'neutrophils', 'ne', 'neu', 'neut', 'sne', 'bne', 'seg', 'segs', 'segmented', 'segmented neutrophil',
    'segmented neutrophils', 'band', 'bands', 'band neutrophil', 'band neutrophils', 'band cell', 'stab', 'pmn',
    'neutrophil segmented', 'neutrophil band', 'neutrophil seg', 'neutrophil bnd'
  ],
  eosinophil: ['eosinophil', 'eosinophils', 'eo', 'eos', 'eosino'],
  basophil: ['basophil', 'basophils', 'ba', 'baso', 'bas'],
  lymphocyte: ['lymphocyte', 'lymphocytes', 'ly', 'lym', 'lymph', 'lympho', 'lymphs'],
  monocyte: ['monocyte', 'monocytes', 'mo', 'mono', 'monos'],
  // Other classes analysers and public sets carry; kept as their own labels.
  ig: ['ig', 'igs', 'immature granulocyte', 'immature granulocytes'],
  promyelocyte: ['promyelocyte', 'promyelocytes', 'pmy', 'pro'],
  myelocyte: ['myelocyte', 'myelocytes', 'my', 'mye'],
  metamyelocyte: ['metamyelocyte', 'metamyelocytes', 'mmy', 'meta'],
  blast: ['blast', 'blasts', 'bl', 'myeloblast', 'myeloblasts', 'lymphoblast', 'lymphoblasts', 'monoblast'],
  'reactive lymphocyte': [
    'reactive lymphocyte', 'reactive lymphocytes', 'variant lymphocyte', 'variant lymphocytes', 'atypical lymphocyte',
    'atypical lymphocytes', 'vly', 'vlym', 'rly', 'aly'
  ],
  'large granular lymphocyte': ['large granular lymphocyte', 'lgl'],
  prolymphocyte: ['prolymphocyte', 'prolymphocytes', 'ply'],
  'plasma cell': ['plasma cell', 'plasma cells', 'plasma', 'pc', 'plc'],
  'hairy cell': ['hairy cell', 'hairy cells'],
  erythroblast: ['erythroblast', 'erythroblasts', 'erb', 'nrbc', 'nrbcs', 'nucleated red blood cell', 'nucleated rbc', 'normoblast'],
  platelet: ['platelet', 'platelets', 'plt', 'thrombocyte', 'thrombocytes'],
  'giant platelet': ['giant platelet', 'giant platelets', 'gplt'],
  'platelet aggregate': ['platelet aggregate', 'platelet aggregates', 'platelet clump', 'platelet clumps', 'pltagg'],
  smudge: ['smudge', 'smudges', 'smudge cell', 'smudge cells', 'smu', 'basket cell', 'basket cells', 'gumprecht'],
  artefact: ['artefact', 'artefacts', 'artifact', 'artifacts', 'art', 'debris', 'dirt'],
  'unidentified cell': ['unidentified', 'unidentified cell', 'unidentified cells', 'uc', 'unid', 'other cell', 'other cells', 'large unidentified cell']
}

const UNLABELLED = new Set(['unlabelled', 'unlabeled', 'unclassified', 'unsorted', 'not classified', 'none', 'unknown', 'na', 'n a'])

const LOOKUP = new Map<string, string>()
for (const [canonical, names] of Object.entries(ALIASES)) for (const n of names) LOOKUP.set(n, canonical)
for (const c of WBC_CLASSES) if (LOOKUP.get(c) !== c) throw new Error(`class table misses ${c}`)

/** Lower case, numbered prefixes ('01.NE', '3 - Mono') and separators folded. */
export function normaliseName(raw: string): string {
  return raw
    .normalize('NFKC')
    .toLowerCase()
    .trim()
    .replace(/^\d+\s*[._\-)\s]\s*/, '')
    .replace(/[\s._\-]+/g, ' ')
    .trim()
}

/** What a folder name or manifest value says about the cells in it. */
export function parseClassName(raw: string): ClassName {
  const n = normaliseName(raw)
  if (UNLABELLED.has(n)) return { kind: 'unlabelled' }
  const hit = LOOKUP.get(n) ?? LOOKUP.get(n.replace(/ /g, '')) ?? (n.endsWith('s') ? LOOKUP.get(n.slice(0, -1)) : undefined)
  if (hit) return { kind: 'class', class: hit }
  return { kind: 'unknown', normalised: n }
}

/** The canonical class names this table knows, the five first. */
export function knownClasses(): string[] {
  return Object.keys(ALIASES)
}
