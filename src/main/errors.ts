// How the core says "no": a CoreError carries one of the contract's refusal
// codes, so every shell maps it the same way (the API to its error result in
// api/errors.ts, the CLI to a message and exit status 1) without matching on
// message text. A leaf module: any core room may throw it. CancelledError is
// the one way the core says "stopped because you asked" (an AbortSignal
// fired), so callers tell a cancel from a failure by its class, never by
// reading "cancel" in a message.
export const CORE_ERROR_CODES = ['not_found', 'conflict', 'stale', 'invalid_input', 'unavailable', 'forbidden', 'cancelled'] as const
export type CoreErrorCode = (typeof CORE_ERROR_CODES)[number]

export class CoreError extends Error {
  constructor(
    readonly code: CoreErrorCode,
    message: string
  ) {
    super(message)
    this.name = 'CoreError'
  }
}

/** `what` not found (a slide, a model, a run ...). */
export function notFound(what: string): CoreError {
  return new CoreError('not_found', `${what} not found`)
}

/**
 * Work stopped because its caller cancelled it. Named 'AbortError' like the
 * platform's own abort errors, so anything that already treats those as a
 * cancel (the API maps them to `cancelled`) treats this one the same way.
 */
export class CancelledError extends Error {
  constructor(message = 'cancelled') {
    super(message)
    this.name = 'AbortError'
  }
}

/** Throws a CancelledError when `signal` has fired (a check between steps of long work). */
export function throwIfCancelled(signal: AbortSignal | undefined, message?: string): void {
  if (signal?.aborted) throw new CancelledError(message)
}
