// The core's one event channel to the UIs (job progress and job ends). The
// Electron shell forwards it to the window over IPC, the server to browsers
// over Server-Sent Events.
import type { ApiEvent, ApiEvents, EventName } from '../../shared/api'

export type EventListener = (event: ApiEvent) => void

export interface EventBus {
  emit<E extends EventName>(name: E, payload: ApiEvents[E]): void
  subscribe(listener: EventListener): () => void
}

export function createEventBus(): EventBus {
  const listeners = new Set<EventListener>()
  return {
    emit(name, payload) {
      const event = { name, payload } as ApiEvent
      for (const l of [...listeners]) {
        try {
          l(event)
        } catch (err) {
          // One broken subscriber (a closed window, a dropped socket) must not starve the others.
          console.error(`event listener failed on ${name}:`, err)
        }
      }
    },
    subscribe(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    }
  }
}
