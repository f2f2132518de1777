// Which screen is showing, kept in the address's #fragment so back/forward and
// reloads work in both the desktop window and a browser.
import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import type { Method } from '../../../shared/api'

export interface Screen {
  id: 'import' | 'slides' | 'review' | 'models' | 'synthetic' | 'blind' | 'outbox' | 'lab' | 'users'
  title: string
  /** False for screens later issues build; the frame marks them as such. */
  ready: boolean
  /** The method a role must be allowed to show this screen (the core still enforces every call). */
  needs: Method
}

export const SCREENS: readonly Screen[] = [
  { id: 'import', title: 'Import', ready: true, needs: 'import.start' },
  { id: 'slides', title: 'Slides', ready: true, needs: 'slides.list' },
  { id: 'review', title: 'Review', ready: true, needs: 'review.gallery' },
  { id: 'models', title: 'Models', ready: true, needs: 'models.list' },
  { id: 'synthetic', title: 'Synthetic', ready: true, needs: 'synthetic.generators' },
  { id: 'blind', title: 'Blind sessions', ready: true, needs: 'blind.list' },
  { id: 'outbox', title: 'Outbox', ready: true, needs: 'outbox.list' },
  { id: 'lab', title: 'Lab', ready: true, needs: 'ranges.get' },
  { id: 'users', title: 'Users', ready: true, needs: 'users.list' }
]

export type ScreenId = Screen['id']

/** What follows the screen in the address (#/review/12 → '12'), or null. */
export function paramFromHash(hash: string): string | null {
  const rest = hash.replace(/^#\/?/, '').split('/')
  return rest.length > 1 && rest[1] ? decodeURIComponent(rest[1]) : null
}

export function screenFromHash(hash: string): ScreenId {
  const id = hash.replace(/^#\/?/, '').split(/[/?]/)[0]
  return (SCREENS.find((s) => s.id === id)?.id ?? 'slides') as ScreenId
}

export const useNavStore = defineStore('nav', () => {
  const current = ref<ScreenId>(screenFromHash(globalThis.location?.hash ?? ''))
  /** The screen's subject when it has one (the slide a review shows). */
  const param = ref<string | null>(paramFromHash(globalThis.location?.hash ?? ''))
  const screen = computed(() => SCREENS.find((s) => s.id === current.value)!)

  function go(id: ScreenId, to: string | null = null): void {
    current.value = id
    param.value = to
    const hash = to === null ? `#/${id}` : `#/${id}/${encodeURIComponent(to)}`
    if (globalThis.location && (screenFromHash(globalThis.location.hash) !== id || paramFromHash(globalThis.location.hash) !== to)) globalThis.location.hash = hash
  }

  function syncFromLocation(): void {
    current.value = screenFromHash(globalThis.location?.hash ?? '')
    param.value = paramFromHash(globalThis.location?.hash ?? '')
  }

  return { current, param, screen, go, syncFromLocation }
})
