// Batched inference of a loaded model on preprocessed cells.
import * as tf from '@tensorflow/tfjs'
import { fillBatch, type CellSet } from '../data/cell-set.js'

/** Class scores (n x C, model output order) for cells `indices` of `cells`. */
export function predictScores(model: tf.LayersModel, cells: Pick<CellSet, 'pixels' | 'size'>, indices: ArrayLike<number>, batchSize = 32): Float32Array {
  const S = cells.size
  const per = S * S * 3
  const C = (model.outputs[0].shape[1] as number) ?? 5
  const out = new Float32Array(indices.length * C)
  const buf = new Float32Array(batchSize * per)
  for (let start = 0; start < indices.length; start += batchSize) {
    const idx = Array.prototype.slice.call(indices, start, Math.min(indices.length, start + batchSize)) as number[]
    fillBatch(cells.pixels, S, idx, buf)
    const scores = tf.tidy(() => (model.predict(tf.tensor4d(buf.subarray(0, idx.length * per), [idx.length, S, S, 3])) as tf.Tensor).dataSync() as Float32Array)
    out.set(scores, start * C)
  }
  return out
}
