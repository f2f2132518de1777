// Rows of people (migration 5): user accounts and the append-only log of what
// happened to each. Plain reads and writes; the rules (password hashing,
// lockout, who may do what) live in src/main/people.
import type { Role } from '../../shared/people'
import type { Db } from './db'
import { nowIso } from './db'
import { stmt } from './statements'

export interface UserRow {
  id: number
  name: string
  displayName: string
  roles: Role[]
  passwordHash: string
  createdAt: string
  createdBy: number | null
  disabledAt: string | null
  failedAttempts: number
  lockedUntil: string | null
}

type UserDbRow = Omit<UserRow, 'roles'> & { rolesJson: string }
const USER_COLS = `id, name, display_name AS displayName, roles_json AS rolesJson, password_hash AS passwordHash, created_at AS createdAt,
  created_by AS createdBy, disabled_at AS disabledAt, failed_attempts AS failedAttempts, locked_until AS lockedUntil`
const toUser = ({ rolesJson, ...r }: UserDbRow): UserRow => ({ ...r, roles: JSON.parse(rolesJson) as Role[] })

export function insertUser(
  db: Db,
  u: { name: string; displayName: string; roles: readonly Role[]; passwordHash: string; createdBy: number | null; at?: string }
): number {
  return Number(
    stmt(db, 'INSERT INTO users (name, display_name, roles_json, password_hash, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?)').run(
      u.name,
      u.displayName,
      JSON.stringify(u.roles),
      u.passwordHash,
      u.at ?? nowIso(),
      u.createdBy
    ).lastInsertRowid
  )
}

export function getUser(db: Db, id: number): UserRow | undefined {
  const r = stmt<[number], UserDbRow>(db, `SELECT ${USER_COLS} FROM users WHERE id = ?`).get(id)
  return r && toUser(r)
}

/** Names are unique without regard to case. */
export function getUserByName(db: Db, name: string): UserRow | undefined {
  const r = stmt<[string], UserDbRow>(db, `SELECT ${USER_COLS} FROM users WHERE name = ? COLLATE NOCASE`).get(name)
  return r && toUser(r)
}

export function listUsers(db: Db): UserRow[] {
  return stmt<[], UserDbRow>(db, `SELECT ${USER_COLS} FROM users ORDER BY id`).all().map(toUser)
}

export function countUsers(db: Db): number {
  return stmt<[], { n: number }>(db, 'SELECT count(*) AS n FROM users').get()!.n
}

export function setUserPasswordHash(db: Db, id: number, passwordHash: string): void {
  stmt(db, 'UPDATE users SET password_hash = ?, failed_attempts = 0, locked_until = NULL WHERE id = ?').run(passwordHash, id)
}

export function setUserRoles(db: Db, id: number, roles: readonly Role[]): void {
  stmt(db, 'UPDATE users SET roles_json = ? WHERE id = ?').run(JSON.stringify(roles), id)
}

export function setUserDisabled(db: Db, id: number, at: string): void {
  stmt(db, 'UPDATE users SET disabled_at = ? WHERE id = ? AND disabled_at IS NULL').run(at, id)
}

/** Counts a failed sign-in; `lockedUntil` set when this failure locks the account. */
export function recordFailedSignIn(db: Db, id: number, failedAttempts: number, lockedUntil: string | null): void {
  stmt(db, 'UPDATE users SET failed_attempts = ?, locked_until = ? WHERE id = ?').run(failedAttempts, lockedUntil, id)
}

export function clearFailedSignIns(db: Db, id: number): void {
  stmt(db, 'UPDATE users SET failed_attempts = 0, locked_until = NULL WHERE id = ? AND (failed_attempts <> 0 OR locked_until IS NOT NULL)').run(id)
}

export type UserEventKind = 'created' | 'disabled' | 'password' | 'roles'

export interface UserEventRow {
  id: number
  userId: number
  kind: UserEventKind
  byUser: number | null
  byName: string
  at: string
  detail: string
}

export function appendUserEvent(db: Db, e: Omit<UserEventRow, 'id' | 'at'> & { at?: string }): number {
  return Number(
    stmt(db, 'INSERT INTO user_events (user_id, kind, by_user, by_name, at, detail) VALUES (?, ?, ?, ?, ?, ?)').run(
      e.userId,
      e.kind,
      e.byUser,
      e.byName,
      e.at ?? nowIso(),
      e.detail
    ).lastInsertRowid
  )
}

export function userEvents(db: Db, userId: number): UserEventRow[] {
  return stmt<[number], UserEventRow>(
    db,
    'SELECT id, user_id AS userId, kind, by_user AS byUser, by_name AS byName, at, detail FROM user_events WHERE user_id = ? ORDER BY id'
  ).all(userId)
}
