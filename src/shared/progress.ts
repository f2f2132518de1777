// One progress shape for all long work (import, training, inference,
// generation). The CLI renders it as a bar, the UI as a panel. Long work takes
// a standard AbortSignal for cancel.

export interface Progress {
  /** What is running, in the lab's words: 'import', 'train', 'crossval', 'classify', 'gan' ... */
  task: string
  /** Units finished and expected (files, batches, images ...); total 0 while unknown. */
  done: number
  total: number
  unit?: string
  /** Seconds left at the current rate, when it can be estimated. */
  etaSeconds?: number
  /** Current figures worth showing (loss, accuracy, epoch, fold ...). */
  metrics?: Record<string, number>
  /** A short human line: the current file, fold, phase. */
  message?: string
}

export type ProgressListener = (progress: Progress) => void

/** Simple ETA from a start time and the fraction done. */
export function estimateEta(startedAtMs: number, done: number, total: number, nowMs = Date.now()): number | undefined {
  if (done <= 0 || total <= 0 || done >= total) return done >= total && total > 0 ? 0 : undefined
  const elapsed = (nowMs - startedAtMs) / 1000
  return (elapsed / done) * (total - done)
}
