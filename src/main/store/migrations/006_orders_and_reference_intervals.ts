// Version 6: the order and patient a slide belongs to, and the lab's
// reference intervals. Both are append-only logs and the present is derived:
// a slide's order field is its latest entry (old -> new reads from the entry
// before it), the reference intervals in force are the latest set, and those
// in force when a slide was signed are the latest set recorded before it.
import type { Migration } from './types'

const appendOnly = (table: string) => /* sql */ `
  CREATE TRIGGER ${table}_append_only_update BEFORE UPDATE ON ${table}
    BEGIN SELECT RAISE(ABORT, '${table} is an append-only log'); END;
  CREATE TRIGGER ${table}_append_only_delete BEFORE DELETE ON ${table}
    BEGIN SELECT RAISE(ABORT, '${table} is an append-only log'); END;
`

export const migration006: Migration = {
  version: 6,
  name: 'orders-and-reference-intervals',
  up: /* sql */ `
    -- One value of one order field of a slide: from an import's manifest, a
    -- worklist, or a person (source 'reviewer'). value NULL clears the field.
    CREATE TABLE slide_order_entries (
      id        INTEGER PRIMARY KEY,
      slide_id  INTEGER NOT NULL REFERENCES slides(id),
      field     TEXT NOT NULL CHECK (field IN ('orderId', 'patientId', 'familyName', 'givenName', 'birthDate', 'sex', 'collectedAt', 'location', 'wbcCount')),
      value     TEXT,
      source    TEXT NOT NULL CHECK (source IN ('manifest', 'worklist', 'reviewer')),
      who       TEXT NOT NULL CHECK (length(trim(who)) > 0),
      at        TEXT NOT NULL,                 -- ISO 8601 UTC
      why       TEXT NOT NULL DEFAULT ''       -- the file it came from, or the person's reason
    ) STRICT;
    CREATE INDEX slide_order_entries_slide ON slide_order_entries(slide_id, field, id);
    ${appendOnly('slide_order_entries')}

    -- A whole table of reference intervals and critical limits as the lab set
    -- it (JSON, src/shared/ranges.ts ReferenceInterval[]), with its source.
    CREATE TABLE reference_interval_sets (
      id              INTEGER PRIMARY KEY,
      name            TEXT NOT NULL CHECK (length(trim(name)) > 0),
      source          TEXT NOT NULL DEFAULT '',   -- the published source or the lab's own study
      intervals_json  TEXT NOT NULL,
      who             TEXT NOT NULL CHECK (length(trim(who)) > 0),
      at              TEXT NOT NULL,
      why             TEXT NOT NULL DEFAULT ''
    ) STRICT;
    ${appendOnly('reference_interval_sets')}
  `
}
