// How the core says "no" to a UI: handlers throw ApiFailure with a contract
// error code; the dispatcher turns it (and any unexpected fault) into the
// {ok:false, error} result, so nothing is thrown across a transport.
import type { ApiError, ApiErrorCode } from '../../shared/api'

export class ApiFailure extends Error {
  constructor(
    readonly code: ApiErrorCode,
    message: string
  ) {
    super(message)
    this.name = 'ApiFailure'
  }
}

export function notFound(what: string): ApiFailure {
  return new ApiFailure('not_found', `${what} not found`)
}

/** Any thrown value as a contract error. Unexpected faults keep their message, never their stack. */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiFailure) return { code: err.code, message: err.message }
  if (err instanceof Error) {
    if (err.name === 'AbortError') return { code: 'cancelled', message: err.message || 'cancelled' }
    return { code: 'internal', message: err.message || err.name }
  }
  return { code: 'internal', message: String(err) }
}
