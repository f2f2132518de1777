// Version 10: blind readers, and the audit chain brought up to date with the
// people schema. A session's readers are invited by the organiser
// (`blind_invitations`, append-only: who let whom take which session, when).
// Every append-only table whose columns changed since it last joined the chain
// (user ids beside the names) is hashed with all its columns from now on,
// and append-only tables made since (user events, invitations) join it.
import { addTableToChain } from '../audit'
import type { Migration } from './types'

export const migration010: Migration = {
  version: 10,
  name: 'blind-readers',
  up(db) {
    db.exec(/* sql */ `
      CREATE TABLE blind_invitations (
        id          INTEGER PRIMARY KEY,
        session_id  INTEGER NOT NULL REFERENCES blind_sessions(id),
        user_id     INTEGER NOT NULL REFERENCES users(id),
        by_user     INTEGER REFERENCES users(id),   -- NULL: the local operator (command line)
        by_name     TEXT NOT NULL,
        at          TEXT NOT NULL,
        UNIQUE (session_id, user_id)
      ) STRICT;
      CREATE INDEX blind_invitations_user ON blind_invitations(user_id, session_id);
      CREATE TRIGGER blind_invitations_append_only_update BEFORE UPDATE ON blind_invitations
        BEGIN SELECT RAISE(ABORT, 'blind_invitations is an append-only log'); END;
      CREATE TRIGGER blind_invitations_append_only_delete BEFORE DELETE ON blind_invitations
        BEGIN SELECT RAISE(ABORT, 'blind_invitations is an append-only log'); END;
    `)
    const appendOnly = db
      .prepare(`SELECT tbl_name FROM sqlite_master WHERE type = 'trigger' AND name = tbl_name || '_append_only_update' ORDER BY tbl_name`)
      .pluck()
      .all() as string[]
    const hashed = (table: string): string | undefined =>
      db.prepare('SELECT columns_json FROM audit_tables WHERE tbl = ? ORDER BY version DESC LIMIT 1').pluck().get(table) as string | undefined
    // The chain's own tables are append-only too, but they are the chain, not in it.
    for (const table of appendOnly.filter((t) => t !== 'audit_chain' && t !== 'audit_tables')) {
      const columns = JSON.stringify((db.pragma(`table_info("${table}")`) as { name: string }[]).map((c) => c.name))
      if (hashed(table) !== columns) addTableToChain(db, table)
    }
  }
}
