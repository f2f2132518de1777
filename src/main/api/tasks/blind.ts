// The blind-session job: draws and renders a session's cells in batches on
// its own store connection inside a job worker, so a large recipe neither
// blocks the core nor holds every render in memory (src/main/blind/session).
import type { BlindSessionView } from '../../../shared/synthetic'
import { createBlindSession } from '../../blind/session'
import { openStore } from '../../store/index'
import type { JobParams, TaskContext } from '../job-protocol'

export async function runBlindTask(params: JobParams['blind'], ctx: TaskContext): Promise<{ result: BlindSessionView; cancelled: boolean }> {
  const db = openStore(ctx.dbPath, ctx.nativeBinding ? { nativeBinding: ctx.nativeBinding } : {})
  try {
    return { result: await createBlindSession(db, params, { signal: ctx.signal, onProgress: ctx.onProgress }), cancelled: false }
  } finally {
    db.close()
  }
}
