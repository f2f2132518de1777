// User accounts: the first admin, adding, disabling (never deleting), new
// passwords, sign-in with a time-limited lockout after repeated failures, and
// re-checking a password for a signature. Every change is appended to
// user_events with who made it. Shells (the HTTP server's sessions, the
// desktop window, the CLI) call these; none keeps a rule of its own.
import { ROLES, DisplayName, NewPassword, UserName, type Caller, type Role, type SessionUser, type UserSummary } from '../../shared/people'
import type { Db } from '../store/db'
import { nowIso } from '../store/db'
import {
  appendUserEvent, clearFailedSignIns, countUsers, getUser, getUserByName, insertUser, listUsers, recordFailedSignIn, setUserDisabled,
  setUserPasswordHash, setUserRoles, type UserRow
} from '../store/users'
import { PeopleError } from './errors'
import { decoyHash, hashPassword, verifyPassword } from './password'

/** Failed sign-ins in a row that lock an account, and for how long. */
export const MAX_FAILED_SIGN_INS = 5
export const LOCK_MINUTES = 15

/**
 * The command line acting without a named user (docs/security.md: whoever
 * holds the database file holds everything). It may administer, import,
 * classify and organise, but never sign: a signature needs a named user and
 * their password.
 */
export const LOCAL_OPERATOR: Caller = Object.freeze({ userId: null, name: 'local operator', roles: Object.freeze(['admin', 'technologist', 'organiser'] as Role[]) })

export interface NewUser {
  name: string
  displayName?: string
  roles: readonly Role[]
  password: string
}

function check<T>(schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: { issues: { message: string }[] } } }, value: unknown, what: string): T {
  const r = schema.safeParse(value)
  if (!r.success) throw new PeopleError('invalid_input', `${what}: ${r.error.issues.map((i) => i.message).join('; ')}`)
  return r.data
}

function normaliseRoles(roles: readonly string[]): Role[] {
  const out = [...new Set(roles)]
  const unknown = out.filter((r) => !(ROLES as readonly string[]).includes(r))
  if (unknown.length) throw new PeopleError('invalid_input', `unknown role ${unknown.join(', ')} (roles: ${ROLES.join(', ')})`)
  if (!out.length) throw new PeopleError('invalid_input', 'give at least one role')
  // A reader answers blind sessions and nothing else: mixing it with staff roles would hand it the truth.
  if (out.includes('reader') && out.length > 1) throw new PeopleError('invalid_input', 'a reader holds no other role (a blind reader must not reach the truth)')
  return ROLES.filter((r) => out.includes(r))
}

export const toCaller = (u: Pick<UserRow, 'id' | 'name' | 'roles'>): Caller => ({ userId: u.id, name: u.name, roles: u.roles })
export const toSessionUser = (u: UserRow): SessionUser => ({ id: u.id, name: u.name, displayName: u.displayName, roles: u.roles })
export const toUserSummary = (u: UserRow): UserSummary => ({
  id: u.id,
  name: u.name,
  displayName: u.displayName,
  roles: u.roles,
  createdAt: u.createdAt,
  disabledAt: u.disabledAt,
  lockedUntil: u.lockedUntil && u.lockedUntil > nowIso() ? u.lockedUntil : null
})

export function needsSetup(db: Db): boolean {
  return countUsers(db) === 0
}

/** Adds a user; `by` null only for the first-run setup. */
export async function addUser(db: Db, by: Caller | null, u: NewUser): Promise<UserRow> {
  const name = check(UserName, u.name, 'name')
  const displayName = check(DisplayName, u.displayName ?? name, 'display name')
  const password = check(NewPassword, u.password, 'password')
  const roles = normaliseRoles(u.roles)
  if (getUserByName(db, name)) throw new PeopleError('conflict', `a user named ${name} exists (names are unique, disabled users included)`)
  const hash = await hashPassword(password)
  return db.transaction(() => {
    if (getUserByName(db, name)) throw new PeopleError('conflict', `a user named ${name} exists`)
    const id = insertUser(db, { name, displayName, roles, passwordHash: hash, createdBy: by?.userId ?? null })
    appendUserEvent(db, { userId: id, kind: 'created', byUser: by?.userId ?? null, byName: by?.name ?? 'first-run setup', detail: `roles ${roles.join(',')}` })
    return getUser(db, id)!
  })()
}

/** The first admin, only while no user exists. */
export async function setupFirstAdmin(db: Db, u: Omit<NewUser, 'roles'>): Promise<UserRow> {
  if (!needsSetup(db)) throw new PeopleError('conflict', 'the workstation already has users: sign in')
  const hash = await hashPassword(check(NewPassword, u.password, 'password'))
  const name = check(UserName, u.name, 'name')
  const displayName = check(DisplayName, u.displayName ?? name, 'display name')
  return db.transaction(() => {
    // Checked again inside the write: two setups racing must not make two admins.
    if (!needsSetup(db)) throw new PeopleError('conflict', 'the workstation already has users: sign in')
    const id = insertUser(db, { name, displayName, roles: ['admin'], passwordHash: hash, createdBy: null })
    appendUserEvent(db, { userId: id, kind: 'created', byUser: null, byName: 'first-run setup', detail: 'roles admin' })
    return getUser(db, id)!
  })()
}

export function requireUser(db: Db, name: string): UserRow {
  const u = getUserByName(db, name)
  if (!u) throw new PeopleError('not_found', `no user named ${name}`)
  return u
}

export function listUserSummaries(db: Db): UserSummary[] {
  return listUsers(db).map(toUserSummary)
}

/** The lab must keep one enabled admin: refuses to disable or demote the last one. */
function refuseLastAdmin(db: Db, u: UserRow): void {
  if (!u.roles.includes('admin')) return
  const otherAdmins = listUsers(db).filter((x) => x.id !== u.id && !x.disabledAt && x.roles.includes('admin'))
  if (otherAdmins.length === 0) throw new PeopleError('conflict', `${u.name} is the last enabled admin`)
}

/** Disables a user (they can no longer sign in; their sessions end at their next call). The row stays. */
export function disableUser(db: Db, by: Caller, name: string): UserRow {
  return db.transaction(() => {
    const u = requireUser(db, name)
    if (u.disabledAt) return u
    if (u.id === by.userId) throw new PeopleError('conflict', 'you cannot disable yourself')
    refuseLastAdmin(db, u)
    const at = nowIso()
    setUserDisabled(db, u.id, at)
    appendUserEvent(db, { userId: u.id, kind: 'disabled', byUser: by.userId, byName: by.name, at, detail: '' })
    return getUser(db, u.id)!
  })()
}

/**
 * Replaces a user's roles (an admin's call), e.g. a technologist who becomes a
 * verifier. Audited as a user event with the old and new roles; the change
 * holds from the user's next call, since every call re-reads the caller's
 * roles. The last enabled admin keeps the admin role, so the lab can't lock
 * itself out of its own user list.
 */
export function setRoles(db: Db, by: Caller, name: string, roles: readonly Role[]): UserRow {
  const next = normaliseRoles(roles)
  return db.transaction(() => {
    const u = requireUser(db, name)
    if (u.disabledAt) throw new PeopleError('conflict', `${u.name} is disabled`)
    const before = [...u.roles].sort().join(',')
    if (before === [...next].sort().join(',')) return u
    if (!next.includes('admin')) refuseLastAdmin(db, u)
    setUserRoles(db, u.id, next)
    appendUserEvent(db, { userId: u.id, kind: 'roles', byUser: by.userId, byName: by.name, detail: `roles ${u.roles.join(',')} -> ${next.join(',')}` })
    return getUser(db, u.id)!
  })()
}

/** Sets a new password (an admin for anyone, anyone for themselves); also lifts a lock. */
export async function setPassword(db: Db, by: Caller, name: string, password: string): Promise<UserRow> {
  const u = requireUser(db, name)
  if (u.id !== by.userId && !by.roles.includes('admin')) throw new PeopleError('forbidden', 'only an admin sets another user\'s password')
  const hash = await hashPassword(check(NewPassword, password, 'password'))
  return db.transaction(() => {
    setUserPasswordHash(db, u.id, hash)
    appendUserEvent(db, { userId: u.id, kind: 'password', byUser: by.userId, byName: by.name, detail: '' })
    return getUser(db, u.id)!
  })()
}

/**
 * Checks a name and password. Wrong either way reads the same; after
 * MAX_FAILED_SIGN_INS failures in a row the account is locked for
 * LOCK_MINUTES (even the right password is refused meanwhile).
 */
export async function authenticate(db: Db, name: string, password: string, now: Date = new Date()): Promise<UserRow> {
  const u = getUserByName(db, name.trim())
  if (!u) {
    await verifyPassword(password, await decoyHash())
    throw new PeopleError('forbidden', 'wrong name or password')
  }
  return checkPasswordOf(db, u, password, now)
}

/** A signature re-asks the signer's password: the same check as signing in, the same lockout. */
export async function confirmPassword(db: Db, caller: Caller, password: string, now: Date = new Date()): Promise<UserRow> {
  const u = caller.userId === null ? undefined : getUser(db, caller.userId)
  if (!u) throw new PeopleError('forbidden', 'a signature needs a named user (sign in, or `--user NAME` on the command line)')
  return checkPasswordOf(db, u, password, now)
}

async function checkPasswordOf(db: Db, u: UserRow, password: string, now: Date): Promise<UserRow> {
  if (u.disabledAt) throw new PeopleError('forbidden', `the account ${u.name} is disabled`)
  const at = now.toISOString()
  if (u.lockedUntil && u.lockedUntil > at) {
    throw new PeopleError('forbidden', `too many failed attempts: the account ${u.name} is locked until ${u.lockedUntil}`)
  }
  const good = await verifyPassword(password, u.passwordHash)
  const fresh = getUser(db, u.id)!
  if (good) {
    clearFailedSignIns(db, u.id)
    return getUser(db, u.id)!
  }
  // A lock that has run out starts a fresh count.
  const before = fresh.lockedUntil && fresh.lockedUntil <= at ? 0 : fresh.failedAttempts
  const failed = before + 1
  const lock = failed >= MAX_FAILED_SIGN_INS ? new Date(now.getTime() + LOCK_MINUTES * 60_000).toISOString() : null
  recordFailedSignIn(db, u.id, lock ? 0 : failed, lock)
  if (lock) throw new PeopleError('forbidden', `too many failed attempts: the account ${u.name} is locked until ${lock}`)
  throw new PeopleError('forbidden', 'wrong name or password')
}

/** The caller a session's user id stands for now: undefined when the user is gone or disabled. */
export function callerOf(db: Db, userId: number): Caller | undefined {
  const u = getUser(db, userId)
  if (!u || u.disabledAt) return undefined
  return toCaller(u)
}
