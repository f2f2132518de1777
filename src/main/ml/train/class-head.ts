// Starting a model with another class list from a trained one: every layer
// but the output is copied as is, and the output layer keeps the trained
// columns of the classes both lists share (matched by name, so the order may
// differ) while the new classes start from the fresh initialisation. This is
// how the eight-class W-Net starts from the five-class one: the five WBC
// types keep what they learned, and ig / erythroblast / platelet are learned
// on top of the same features.
import type * as tf from '@tensorflow/tfjs'
import { buildModel, type ModelSpec } from '../model/architectures/index'
import { flattenWeights, layoutOf } from './replica'

export interface ClassHeadTransfer {
  /** Flat weights in the runtime layout of `spec` (train()'s initialWeights). */
  weights: Float32Array
  /** Target classes whose output column came from the source model. */
  kept: string[]
  /** Target classes that start from the fresh initialisation. */
  fresh: string[]
}

/** Name of the output layer of every architecture (architectures/index.ts `head`). */
const OUTPUT_LAYER = 'output'

/**
 * Initial weights for `spec` (whose numClasses is targetClasses.length) from
 * `source`, a trained model of the same architecture and input size whose
 * outputs are `sourceClasses`. Throws when any layer other than the output
 * differs in shape.
 */
export function weightsForClasses(source: tf.LayersModel, sourceClasses: readonly string[], spec: ModelSpec, targetClasses: readonly string[]): ClassHeadTransfer {
  if (spec.numClasses !== targetClasses.length) throw new Error(`the spec has ${spec.numClasses} outputs for ${targetClasses.length} classes`)
  const srcOut = source.outputs[0].shape[source.outputs[0].shape.length - 1]
  if (srcOut !== sourceClasses.length) throw new Error(`the source model has ${srcOut} outputs for ${sourceClasses.length} classes`)
  const target = buildModel(spec)
  try {
    const flat = flattenWeights(target)
    const ours = layoutOf(target)
    const theirs = layoutOf(source)
    const srcFlat = flattenWeights(source)
    const byName = new Map(theirs.entries.map((e) => [e.name, e]))
    const layerOf = (name: string) => name.split('/')[0]
    for (const e of ours.entries) {
      const s = byName.get(e.name)
      if (!s) throw new Error(`the source model has no weight ${e.name}`)
      if (layerOf(e.name) !== OUTPUT_LAYER) {
        if (s.shape.join('x') !== e.shape.join('x')) throw new Error(`weight ${e.name} is ${s.shape.join('x')} in the source model, ${e.shape.join('x')} here`)
        flat.set(srcFlat.subarray(s.offset, s.offset + s.size), e.offset)
        continue
      }
      // Output kernel [inputs, classes] (row-major) or bias [classes]: copy shared class columns.
      const inputs = e.shape.length === 2 ? e.shape[0] : 1
      if (e.shape.length === 2 && s.shape[0] !== inputs) throw new Error(`weight ${e.name} has ${s.shape[0]} inputs in the source model, ${inputs} here`)
      const C = targetClasses.length
      const SC = sourceClasses.length
      targetClasses.forEach((cls, c) => {
        const sc = sourceClasses.indexOf(cls)
        if (sc < 0) return
        for (let r = 0; r < inputs; r++) flat[e.offset + r * C + c] = srcFlat[s.offset + r * SC + sc]
      })
    }
    return {
      weights: flat,
      kept: targetClasses.filter((c) => sourceClasses.includes(c)),
      fresh: targetClasses.filter((c) => !sourceClasses.includes(c))
    }
  } finally {
    target.dispose()
  }
}
