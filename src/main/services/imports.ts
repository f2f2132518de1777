// The imports service: datasets as the shells list them (cells per label).
// The import itself is the import core's (src/main/import), run as a job;
// which folders a browser may name is the API's policy (api/import-roots).
import type { DatasetSummary } from '../../shared/api'
import { labelCounts, listDatasets, type Db } from '../store'

export function datasetSummaries(db: Db): DatasetSummary[] {
  return listDatasets(db).map((d) => ({
    id: d.id,
    name: d.name,
    description: d.description,
    imageCount: d.imageCount,
    labelCounts: labelCounts(db, d.id),
    createdAt: d.createdAt
  }))
}
