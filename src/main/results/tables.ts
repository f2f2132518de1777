// The lab's reference table in force: the latest one set (append-only, so
// each earlier table and who set it stays), else the default adult table;
// and the one in force at a moment (a signed report keeps the intervals it
// was signed under).
import type { ReferenceInterval, ReferenceTable, ReferenceTableView } from '../../shared/ranges'
import type { Db } from '../store/db'
import { nowIso } from '../store/db'
import { insertReferenceSet, latestReferenceSet, type ReferenceSetRow } from '../store/orders'
import { ReviewError } from '../review/errors'
import { DEFAULT_REFERENCE_TABLE, referenceTableProblems } from './reference-intervals'

function view(row: ReferenceSetRow): ReferenceTableView {
  return { id: row.id, name: row.name, source: row.source, intervals: JSON.parse(row.intervalsJson) as ReferenceInterval[], who: row.who, at: row.at }
}

/** The table in force now, or at `at` (ISO UTC). */
export function referenceTable(db: Db, at?: string): ReferenceTableView {
  const row = latestReferenceSet(db, at)
  return row ? view(row) : { ...DEFAULT_REFERENCE_TABLE, id: null, who: null, at: null }
}

/** Puts a new table in force; refused (invalid_input) when limits are inverted or two intervals could both apply. */
export function setReferenceTable(db: Db, table: ReferenceTable, who: string, why = ''): ReferenceTableView {
  const problems = referenceTableProblems(table.intervals)
  if (problems.length) throw new ReviewError('invalid_input', `the reference table cannot be used: ${problems.join('; ')}`)
  if (!who.trim()) throw new ReviewError('invalid_input', 'say who sets the reference table')
  const id = insertReferenceSet(db, { name: table.name, source: table.source, intervalsJson: JSON.stringify(table.intervals), who, at: nowIso(), why })
  void id
  return referenceTable(db)
}

/** Back to the default adult table (recorded as a new set, so the change is in the log). */
export function resetReferenceTable(db: Db, who: string, why = 'back to the default adult table'): ReferenceTableView {
  return setReferenceTable(db, DEFAULT_REFERENCE_TABLE, who, why)
}
