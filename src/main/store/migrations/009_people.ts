// Version 9: people. Users with their roles and a password hash (scrypt,
// src/main/people/password.ts), and a user id beside the free-text `who` of
// every record a person makes (labels, review actions, comments, settings,
// sign-offs, blind answers and sessions), so the audit trail names an
// identified person while old rows keep their names. Sign-offs gain what a
// signature needs (ISO 15189, 21 CFR 11): which verification it is (first or
// second), and a hash of what was signed. Review settings gain the slide's (or
// the lab's) second-verification requirement.
//
// `users` is the one mutable table here (password, failed attempts, lock,
// disabled): every change to a user is also appended to `user_events`, which
// is append-only like the review logs and joins the audit chain. The audited
// tables that gain a user id get a new chain version, so the new columns are
// hashed from now on. Users are never deleted.
import { addTableToChain } from '../audit'
import type { Migration } from './types'

export const migration009: Migration = {
  version: 9,
  name: 'people',
  up(db) {
    db.exec(SQL)
    for (const table of ['user_events', 'labels', 'review_actions', 'review_comments', 'review_settings', 'sign_offs', 'blind_answers']) {
      addTableToChain(db, table)
    }
  }
}

const SQL = /* sql */ `
    CREATE TABLE users (
      id               INTEGER PRIMARY KEY,
      name             TEXT NOT NULL UNIQUE COLLATE NOCASE CHECK (length(name) BETWEEN 2 AND 64),
      display_name     TEXT NOT NULL CHECK (length(trim(display_name)) > 0),
      roles_json       TEXT NOT NULL CHECK (json_valid(roles_json) AND json_type(roles_json) = 'array'),
      password_hash    TEXT NOT NULL,             -- scrypt$N$r$p$salt$hash (base64)
      created_at       TEXT NOT NULL,
      created_by       INTEGER REFERENCES users(id),
      disabled_at      TEXT,                      -- set once; the row stays so history keeps naming the person
      failed_attempts  INTEGER NOT NULL DEFAULT 0 CHECK (failed_attempts >= 0),
      locked_until     TEXT                       -- ISO 8601 UTC; sign-in refused before it
    ) STRICT;
    CREATE TRIGGER users_never_deleted BEFORE DELETE ON users
      BEGIN SELECT RAISE(ABORT, 'users are disabled, never deleted'); END;

    -- What happened to a user account, by whom: created, disabled, password, roles.
    CREATE TABLE user_events (
      id        INTEGER PRIMARY KEY,
      user_id   INTEGER NOT NULL REFERENCES users(id),
      kind      TEXT NOT NULL CHECK (kind IN ('created', 'disabled', 'password', 'roles')),
      by_user   INTEGER REFERENCES users(id),     -- NULL: the local operator (command line) or the first-run setup
      by_name   TEXT NOT NULL,
      at        TEXT NOT NULL,
      detail    TEXT NOT NULL DEFAULT ''
    ) STRICT;
    CREATE INDEX user_events_user ON user_events(user_id, id);
    CREATE TRIGGER user_events_append_only_update BEFORE UPDATE ON user_events
      BEGIN SELECT RAISE(ABORT, 'user_events is an append-only log'); END;
    CREATE TRIGGER user_events_append_only_delete BEFORE DELETE ON user_events
      BEGIN SELECT RAISE(ABORT, 'user_events is an append-only log'); END;

    ALTER TABLE labels ADD COLUMN user_id INTEGER REFERENCES users(id);
    ALTER TABLE review_actions ADD COLUMN user_id INTEGER REFERENCES users(id);
    ALTER TABLE review_comments ADD COLUMN user_id INTEGER REFERENCES users(id);
    ALTER TABLE review_settings ADD COLUMN user_id INTEGER REFERENCES users(id);
    -- NULL: not set in this scope (as for the other settings).
    ALTER TABLE review_settings ADD COLUMN second_verification INTEGER CHECK (second_verification IS NULL OR second_verification IN (0, 1));
    ALTER TABLE sign_offs ADD COLUMN user_id INTEGER REFERENCES users(id);
    -- 1: the signature that makes the slide read-only; 2: the second, different verifier's.
    ALTER TABLE sign_offs ADD COLUMN verification INTEGER NOT NULL DEFAULT 1 CHECK (verification IN (1, 2));
    -- sha256 of what was signed (slide, sample id and counts; src/main/review/signoff.ts); '' for rows before version 9.
    ALTER TABLE sign_offs ADD COLUMN content_sha256 TEXT NOT NULL DEFAULT '';
    ALTER TABLE blind_answers ADD COLUMN user_id INTEGER REFERENCES users(id);
    ALTER TABLE blind_sessions ADD COLUMN created_by_user INTEGER REFERENCES users(id);
  `
