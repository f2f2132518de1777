// Version 7: tamper evidence. Every append-only record joins one hash chain
// (store/audit.ts): `audit_tables` says which tables and which columns are
// hashed, `audit_chain` holds one entry per record in insert order, each
// hash covering the record and the previous hash. Existing rows are
// backfilled table by table in id order; from then on an AFTER INSERT
// trigger per table appends the entry in the same transaction as the record.
import { addTableToChain } from '../audit'
import type { Migration } from './types'

/**
 * The append-only tables: those with an `<table>_append_only_update` trigger
 * (labels, the review logs, sign-offs, settings, blind answers, order
 * entries, reference intervals ... whatever the migrations before this one
 * made append-only), backfilled in name order. A later migration that adds
 * an append-only table, or columns to one, calls addTableToChain itself.
 */
function appendOnlyTables(db: Parameters<typeof addTableToChain>[0]): string[] {
  return db
    .prepare(`SELECT tbl_name FROM sqlite_master WHERE type = 'trigger' AND name = tbl_name || '_append_only_update' ORDER BY tbl_name`)
    .pluck()
    .all() as string[]
}

export const migration007: Migration = {
  version: 7,
  name: 'audit-chain',
  up(db) {
    const chained = appendOnlyTables(db)
    db.exec(/* sql */ `
      CREATE TABLE audit_tables (
        tbl           TEXT NOT NULL,
        version       INTEGER NOT NULL,      -- a new one each time a migration changes the table's columns
        columns_json  TEXT NOT NULL,         -- the columns hashed, in order
        PRIMARY KEY (tbl, version)
      ) STRICT;
      CREATE TABLE audit_chain (
        seq     INTEGER PRIMARY KEY,         -- chain order
        tbl     TEXT NOT NULL,
        version INTEGER NOT NULL,            -- which column list of audit_tables hashed it
        row_id  INTEGER NOT NULL,
        hash    TEXT NOT NULL,               -- sha256 hex of previous hash, table, id, row
        UNIQUE (tbl, row_id),
        FOREIGN KEY (tbl, version) REFERENCES audit_tables(tbl, version)
      ) STRICT;
      CREATE TRIGGER audit_chain_append_only_update BEFORE UPDATE ON audit_chain
        BEGIN SELECT RAISE(ABORT, 'the audit chain is append-only'); END;
      CREATE TRIGGER audit_chain_append_only_delete BEFORE DELETE ON audit_chain
        BEGIN SELECT RAISE(ABORT, 'the audit chain is append-only'); END;
      CREATE TRIGGER audit_tables_append_only_update BEFORE UPDATE ON audit_tables
        BEGIN SELECT RAISE(ABORT, 'audit_tables is append-only'); END;
      CREATE TRIGGER audit_tables_append_only_delete BEFORE DELETE ON audit_tables
        BEGIN SELECT RAISE(ABORT, 'audit_tables is append-only'); END;
    `)
    for (const table of chained) addTableToChain(db, table)
  }
}
