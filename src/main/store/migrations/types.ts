// The shape of one schema migration. Kept apart from the registry so a
// migration file imports only this, never the list it is part of.
import type { Database } from 'better-sqlite3'

export interface Migration {
  /** The PRAGMA user_version the database has after this migration; 1, 2, 3 ... with no gaps. */
  version: number
  /** Short name for logs and docs, e.g. 'initial', 'folds-and-runs'. */
  name: string
  /**
   * Changes the schema (and moves data if needed). Runs inside a transaction
   * that also bumps user_version, so it is all or nothing. SQL text or a
   * function for migrations that must move rows with bound parameters.
   */
  up: string | ((db: Database) => void)
}
