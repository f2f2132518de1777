// How the core's refusals reach a UI, in one place: a CoreError from any
// service (review, blind sessions, slides, models ...) keeps its code, an
// ApiFailure is the transport's own refusal (a path it will not read), and
// the dispatcher turns either (and any unexpected fault) into the
// {ok:false, error} result, so nothing is thrown across a transport.
import type { ApiError, ApiErrorCode } from '../../shared/api'
import { CancelledError, CoreError } from '../errors'

export class ApiFailure extends Error {
  constructor(
    readonly code: ApiErrorCode,
    message: string
  ) {
    super(message)
    this.name = 'ApiFailure'
  }
}

export { notFound } from '../errors'

/** Any thrown value as a contract error. Unexpected faults keep their message, never their stack. */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiFailure || err instanceof CoreError) return { code: err.code, message: err.message }
  if (err instanceof Error) {
    if (err instanceof CancelledError || err.name === 'AbortError') return { code: 'cancelled', message: err.message || 'cancelled' }
    return { code: 'internal', message: err.message || err.name }
  }
  return { code: 'internal', message: String(err) }
}
