// The one entry point every transport calls: method name and payload in, a
// contract Result out. It validates the payload with the method's schema
// before any handler sees it, and never throws.
import { fail, isMethod, ok, parseInput, type Method, type Output, type ParsedInput, type Result } from '../../shared/api'
import { toApiError } from './errors'

/** The implementation of the contract: one function per method. */
export type Handlers = {
  [M in Method]: (input: ParsedInput<M>) => Promise<Output<M>> | Output<M>
}

export type Dispatch = (method: unknown, payload: unknown) => Promise<Result<unknown>>

export function createDispatch(handlers: Handlers): Dispatch {
  return async (method, payload) => {
    if (!isMethod(method)) return fail('unknown_method', `no such method: ${String(method).slice(0, 80)}`)
    const input = parseInput(method, payload)
    if (!input.ok) return input
    try {
      const handler = handlers[method] as (input: unknown) => Promise<unknown> | unknown
      return ok(await handler(input.value))
    } catch (err) {
      const error = toApiError(err)
      if (error.code === 'internal') console.error(`${method} failed:`, err)
      return { ok: false, error }
    }
  }
}
