// Which screen is showing, kept in the address's #fragment so back/forward and
// reloads work in both the desktop window and a browser.
import { defineStore } from 'pinia'
import { computed, ref } from 'vue'

export interface Screen {
  id: 'import' | 'slides' | 'review' | 'models' | 'synthetic' | 'blind'
  title: string
  /** False for screens later issues build; the frame marks them as such. */
  ready: boolean
}

export const SCREENS: readonly Screen[] = [
  { id: 'import', title: 'Import', ready: true },
  { id: 'slides', title: 'Slides', ready: true },
  { id: 'review', title: 'Review', ready: false },
  { id: 'models', title: 'Models', ready: true },
  { id: 'synthetic', title: 'Synthetic', ready: true },
  { id: 'blind', title: 'Blind sessions', ready: true }
]

export type ScreenId = Screen['id']

export function screenFromHash(hash: string): ScreenId {
  const id = hash.replace(/^#\/?/, '').split(/[/?]/)[0]
  return (SCREENS.find((s) => s.id === id)?.id ?? 'slides') as ScreenId
}

export const useNavStore = defineStore('nav', () => {
  const current = ref<ScreenId>(screenFromHash(globalThis.location?.hash ?? ''))
  const screen = computed(() => SCREENS.find((s) => s.id === current.value)!)

  function go(id: ScreenId): void {
    current.value = id
    if (globalThis.location && screenFromHash(globalThis.location.hash) !== id) globalThis.location.hash = `#/${id}`
  }

  function syncFromLocation(): void {
    current.value = screenFromHash(globalThis.location?.hash ?? '')
  }

  return { current, screen, go, syncFromLocation }
})
