// The site-adaptation job: the site-adaptation service (src/main/services/site-adaptation)
// on its own store connection inside the job worker. Progress carries the
// run id, so the UI can open the run's live report; cancel leaves the run
// resumable (the same request again continues it).
import type { AdaptJobResult } from '../../../shared/models'
import { openStore } from '../../store/index'
import { adaptModelToSite } from '../../services/site-adaptation'
import type { JobParams, TaskContext } from '../job-protocol'
import { withRun } from './training-job'

export async function runAdaptTask(params: JobParams['adapt'], ctx: TaskContext): Promise<{ result: AdaptJobResult; cancelled: boolean }> {
  const db = openStore(ctx.dbPath, ctx.nativeBinding ? { nativeBinding: ctx.nativeBinding } : {})
  try {
    const relay = withRun(ctx)
    const { result } = await adaptModelToSite(db, { ...params, signal: ctx.signal, onRun: relay.onRun, onProgress: relay.onProgress })
    return { result, cancelled: result.status === 'cancelled' }
  } finally {
    db.close()
  }
}
