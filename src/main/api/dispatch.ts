// The one entry point every transport calls: method name, payload and the
// session's principal in, a contract Result out. It resolves the acting user
// (from the store, so a disabled user's session stops at its next call),
// refuses what the method's roles don't allow (one place, typed `forbidden`),
// validates the payload with the method's schema, hands the handler the
// caller, and never throws.
import { api, fail, isMethod, WORKER_ONLY, mayCall, ok, parseInput, type Method, type Output, type ParsedInput, type Result } from '../../shared/api'
import type { Caller } from '../../shared/people'
import { toApiError } from './errors'

/**
 * Who a shell says is calling: a signed-in user's id (the shell's session
 * holds it), the command line's local operator, or nobody (only 'public'
 * methods then).
 */
export type Principal = { userId: number } | { workerSecret: string } | 'local-operator' | null

/** What a handler receives beside its input: the acting user, taken from the session. */
export interface CallContext<M extends Method = Method> {
  caller: Api[M]['roles'] extends 'public' ? Caller | null : Caller
}
type Api = typeof api

/** The implementation of the contract: one function per method. */
export type Handlers = {
  [M in Method]: (input: ParsedInput<M>, ctx: CallContext<M>) => Promise<Output<M>> | Output<M>
}

export type Dispatch = (method: unknown, payload: unknown, principal: Principal) => Promise<Result<unknown>>

/** How a principal becomes a caller: undefined when the user is gone or disabled. */
export type ResolveCaller = (principal: Exclude<Principal, null>) => Caller | undefined

export function createDispatch(handlers: Handlers, resolveCaller: ResolveCaller): Dispatch {
  return async (method, payload, principal) => {
    if (!isMethod(method)) return fail('unknown_method', `no such method: ${String(method).slice(0, 80)}`)
    let caller: Caller | null = null
    try {
      if (principal !== null) {
        caller = resolveCaller(principal) ?? null
        if (!caller && typeof principal === 'object' && 'workerSecret' in principal) return fail('forbidden', 'this worker credential is unknown or revoked')
        if (!caller) return fail('forbidden', 'your account is disabled or no longer exists: sign in again')
      }
    } catch (err) {
      console.error(`${method}: resolving the caller failed:`, err)
      return fail('internal', 'cannot tell who is calling')
    }
    // Roles before the schema: a caller who may not call a method learns nothing about its input.
    const allowed = api[method].roles
    // A worker machine's credential reaches the worker methods and nothing else; nobody else reaches those.
    if (caller?.worker && allowed !== WORKER_ONLY) return fail('forbidden', `${method}: a worker credential may call only the worker methods`)
    if (allowed === WORKER_ONLY) {
      if (!caller?.worker) return fail('forbidden', `${method} needs the role worker (a worker machine's credential, never a person)`)
    } else if (allowed !== 'public') {
      if (!caller) return fail('forbidden', `${method}: sign in first`)
      if (!mayCall(method, caller.roles)) return fail('forbidden', `${method} needs the role ${allowed.join(' or ')}`)
    }
    const input = parseInput(method, payload)
    if (!input.ok) return input
    try {
      const handler = handlers[method] as (input: unknown, ctx: { caller: Caller | null }) => Promise<unknown> | unknown
      return ok(await handler(input.value, { caller }))
    } catch (err) {
      const error = toApiError(err)
      if (error.code === 'internal') console.error(`${method} failed:`, err)
      return { ok: false, error }
    }
  }
}
