// The import job: runs the core importer (src/main/import) on its own store
// connection inside the job worker and turns its report into the contract's.
import type { ImportReport } from '../../../shared/api'
import { ApiFailure } from '../errors'
import type { TaskContext } from '../job-protocol'

export async function runImportTask(params: { path: string }, ctx: TaskContext): Promise<ImportReport> {
  void params
  void ctx
  throw new ApiFailure('unavailable', 'the import core is not wired yet')
}
