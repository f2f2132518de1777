// How the core says "no": a CoreError carries one of the contract's refusal
// codes, so every shell maps it the same way (the API to its error result in
// api/errors.ts, the CLI to a message and exit status 1) without matching on
// message text. A leaf module: any core room may throw it.
export const CORE_ERROR_CODES = ['not_found', 'conflict', 'stale', 'invalid_input', 'unavailable', 'forbidden'] as const
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
