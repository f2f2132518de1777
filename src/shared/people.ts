// People and roles, as every side sees them: the role names, what the acting
// user looks like (the caller a handler receives), and the signed-in user a
// UI shows. Types and constants only (no Node, no DOM).
import { z } from 'zod'

/**
 * admin: users and settings. technologist: import, classify, reclassify,
 * comment. verifier: all of technologist, plus signing. organiser: synthetic
 * cells, blind sessions and their results. reader: answers the blind
 * sessions it is invited to, nothing else. A person may hold several.
 */
export const ROLES = ['admin', 'technologist', 'verifier', 'organiser', 'reader'] as const
export type Role = (typeof ROLES)[number]

/** The acting user, taken from the session (never from a payload). */
export interface Caller {
  /** null only for the command line's local operator (docs/security.md): nobody signs as it. */
  userId: number | null
  /** The unique login name; what audit rows show beside the user id. */
  name: string
  roles: readonly Role[]
  /** Set only when the caller is a worker machine's credential (no person, no roles: it may call the worker methods only). */
  worker?: { credentialId: number }
}

/** What a UI shows of the signed-in user. */
export interface SessionUser {
  id: number
  name: string
  displayName: string
  roles: Role[]
}

export interface SessionState {
  /** No user exists yet: the first admin must be created (setup). */
  needsSetup: boolean
  user: SessionUser | null
  /** Minutes of inactivity after which the session ends (browser and desktop; null where no shell signs people in, e.g. a test host). */
  idleMinutes: number | null
}

export interface UserSummary {
  id: number
  name: string
  displayName: string
  roles: Role[]
  createdAt: string
  /** Set once disabled; a disabled user can't sign in, and history keeps naming them. */
  disabledAt: string | null
  /** Set while locked after repeated failed sign-ins. */
  lockedUntil: string | null
}

/** Login names: short, no spaces, case-insensitive unique. */
export const UserName = z
  .string()
  .trim()
  .min(2, 'a name of at least 2 characters')
  .max(64)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'letters, digits, dot, dash, underscore')
export const DisplayName = z.string().trim().min(1, 'give the full name').max(200)
/** New passwords: long enough to matter; checked only for length (NIST SP 800-63B). */
export const NewPassword = z.string().min(10, 'at least 10 characters').max(1024)
/** A password being checked: any length (the check decides). */
export const GivenPassword = z.string().min(1, 'enter the password').max(1024)
export const RoleList = z.array(z.enum(ROLES)).min(1, 'give at least one role').max(ROLES.length)

/** Whether a caller holding `roles` may call a method open to `allowed`. */
export function rolesAllow(roles: readonly Role[], allowed: readonly Role[]): boolean {
  return roles.some((r) => allowed.includes(r))
}
