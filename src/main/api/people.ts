// The contract's people methods over src/main/people: session state, the
// first admin, sign-in and sign-out, passwords and the admin's user list.
// Sign-in only checks the password here; binding the session to the user is
// the shell's (the HTTP server's cookie, the desktop window), which reads the
// result of session.login / session.setup and drops the binding on
// session.logout.
import type { Method } from '../../shared/api'
import {
  addUser, authenticate, confirmPassword, disableUser, listUserSummaries, needsSetup, requireUser, setPassword, setRoles, setupFirstAdmin, toSessionUser,
  toUserSummary
} from '../people'
import { getUser } from '../store/users'
import type { Handlers } from './dispatch'
import type { ApiContext } from './handlers'

type PeopleMethod = Extract<Method, `session.${string}` | `users.${string}`>

export function peopleHandlers(ctx: Pick<ApiContext, 'db' | 'sessionIdleMinutes'>): Pick<Handlers, PeopleMethod> {
  const db = () => ctx.db
  return {
    'session.state': (_input, { caller }) => {
      const user = caller?.userId != null ? getUser(db(), caller.userId) : undefined
      return { needsSetup: needsSetup(db()), user: user ? toSessionUser(user) : null, idleMinutes: ctx.sessionIdleMinutes ?? null }
    },
    'session.setup': async ({ name, displayName, password }) => toSessionUser(await setupFirstAdmin(db(), { name, displayName, password })),
    'session.login': async ({ name, password }) => toSessionUser(await authenticate(db(), name, password)),
    'session.logout': () => ({ signedOut: true as const }),
    'session.password': async ({ current, password }, { caller }) => {
      const me = await confirmPassword(db(), caller, current)
      await setPassword(db(), caller, me.name, password)
      return { changed: true as const }
    },
    'users.list': () => listUserSummaries(db()),
    'users.add': async (u, { caller }) => toUserSummary(await addUser(db(), caller, u)),
    'users.disable': ({ name }, { caller }) => toUserSummary(disableUser(db(), caller, name)),
    'users.setRoles': ({ name, roles }, { caller }) => toUserSummary(setRoles(db(), caller, name, roles)),
    'users.password': async ({ name, password }, { caller }) => {
      requireUser(db(), name)
      return toUserSummary(await setPassword(db(), caller, name, password))
    }
  }
}
