// The import job: runs the core importer (src/main/import) on its own store
// connection inside the job worker and turns its report into the contract's.
import type { ImportReport } from '../../../shared/api'
import { importPath, type ImportReport as CoreImportReport } from '../../import/index'
import { openStore } from '../../store/index'
import type { JobParams, TaskContext } from '../job-protocol'

export async function runImportTask(params: JobParams['import'], ctx: TaskContext): Promise<{ result: ImportReport; cancelled: boolean }> {
  const db = openStore(ctx.dbPath, ctx.nativeBinding ? { nativeBinding: ctx.nativeBinding } : {})
  try {
    const report = await importPath(db, params.path, {
      ...(params.dataset !== undefined ? { dataset: params.dataset } : {}),
      keepUnknownClasses: params.keepUnknownClasses,
      confineTo: params.confineTo ?? null,
      signal: ctx.signal,
      onProgress: ctx.onProgress
    })
    return { result: toContractReport(report), cancelled: report.status === 'cancelled' }
  } finally {
    db.close()
  }
}

export function toContractReport(r: CoreImportReport): ImportReport {
  return {
    root: r.sourcePath,
    batchId: r.batchId,
    dataset: r.dataset,
    status: r.status,
    counts: {
      files: r.counts.files,
      imported: r.counts.imported,
      duplicate: r.counts.duplicate,
      skipped: r.counts.skipped,
      failed: r.counts.failed,
      conflicts: r.counts.conflicts
    },
    failuresByReason: r.failuresByReason,
    slides: r.slides,
    orders: r.orders,
    files: r.files.map((f) => ({
      path: f.path,
      outcome: f.status,
      ...(f.reason !== undefined ? { reasonCode: f.reason } : {}),
      ...(f.message !== undefined ? { reason: f.message } : {}),
      label: f.class ?? null,
      slide: f.slide ?? null,
      ...(f.conflict ? { conflict: `conflicting class: ${f.conflict.added} (already ${f.conflict.existing.join(', ')})` } : {})
    })),
    seconds: r.seconds,
    imagesPerSecond: r.imagesPerSecond
  }
}
