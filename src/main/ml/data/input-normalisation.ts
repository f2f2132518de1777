// A model's input colour normalisation: what is done to a preprocessed uint8
// cell before the paper's per-image standardisation, as part of the model
// (its metadata's `inputNormalisation`, absent = 'none'). A model trained on
// normalised cells must see normalised cells wherever it runs, so fillBatch
// (cell-set.ts), the one door every caller's pixels go through (training,
// validation, evaluation, the inference pool, ONNX Runtime, adaptation, the
// synthetic-cell judge), applies it, and the model's metadata decides.
//
// 'grey-world': each channel of a cell scaled so that the cell's mean colour
// becomes PBC's mean colour (another site's darker, bluer cells are brought to
// PBC's balance; docs/ml-results.md, "Site adaptation"). The target is frozen:
// changing it would change every grey-world model's predictions without a
// trace, so a new target must be a new name.
import { CoreError } from '../../errors'
import { INPUT_NORMALISATIONS, type InputNormalisation } from '../../../shared/models'

export { INPUT_NORMALISATIONS, type InputNormalisation }

/**
 * PBC's mean R, G, B (every 10th training cell of the shipped model's split,
 * 488 cells at 128 px, never its held-out ones; scripts/bench-site-adaptation.ts
 * --zero-shot). Frozen: see the header.
 */
export const GREY_WORLD_TARGET: readonly [number, number, number] = [198.5, 162.9, 175.8]

export function isInputNormalisation(v: unknown): v is InputNormalisation {
  return typeof v === 'string' && (INPUT_NORMALISATIONS as readonly string[]).includes(v)
}

/**
 * A model metadata's normalisation: absent or null is 'none' (every model made
 * before the field existed). An unknown value is refused rather than run
 * without the preprocessing the model was trained with.
 */
export function inputNormalisationOf(meta: { inputNormalisation?: unknown } | undefined): InputNormalisation {
  const v = meta?.inputNormalisation
  if (v === undefined || v === null) return 'none'
  if (isInputNormalisation(v)) return v
  throw new CoreError('invalid_input', `unknown input normalisation "${String(v)}" (known: ${INPUT_NORMALISATIONS.join(', ')})`)
}

/** Grey-world: `src` (one S x S x 3 uint8 cell) with each channel scaled to GREY_WORLD_TARGET's mean, into `dst`. */
export function greyWorld(src: Uint8Array, dst: Uint8Array): void {
  const n = src.length / 3
  const sums = [0, 0, 0]
  for (let p = 0; p < src.length; p += 3) {
    sums[0] += src[p]
    sums[1] += src[p + 1]
    sums[2] += src[p + 2]
  }
  // A black channel (mean under 1) is scaled as if its mean were 1: no division by zero, no blow-up.
  const f = sums.map((s, c) => GREY_WORLD_TARGET[c] / Math.max(1, s / n))
  for (let p = 0; p < src.length; p += 3) {
    dst[p] = Math.min(255, Math.round(src[p] * f[0]))
    dst[p + 1] = Math.min(255, Math.round(src[p + 1] * f[1]))
    dst[p + 2] = Math.min(255, Math.round(src[p + 2] * f[2]))
  }
}

/** One cell as the model sees it: `src` itself for 'none', else normalised into `dst` (which is returned). */
export function normaliseCell(src: Uint8Array, dst: Uint8Array, how: InputNormalisation): Uint8Array {
  if (how === 'none') return src
  greyWorld(src, dst)
  return dst
}

/**
 * The metadata field for a model built from a training spec (ModelSpec's
 * inputNormalisation): a network trained on normalised cells carries it;
 * nothing is written for 'none', so such models' metadata stays as before.
 */
export function normalisationMetaOf(spec: { inputNormalisation?: InputNormalisation }): { inputNormalisation?: InputNormalisation } {
  return spec.inputNormalisation && spec.inputNormalisation !== 'none' ? { inputNormalisation: spec.inputNormalisation } : {}
}

/** A label for people (model card, Models screen, CLI). */
export function describeInputNormalisation(how: InputNormalisation): string {
  return how === 'grey-world' ? `grey-world (each channel to PBC's mean colour ${GREY_WORLD_TARGET.join('/')})` : 'none'
}
