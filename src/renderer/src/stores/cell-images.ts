// Cell images for <img>: a URL per cell, asked of the transport once while
// any thumbnail shows that cell, shared by every thumbnail of it (the
// gallery, the zoom, the Slides preview), and released a moment after the
// last one goes (a blob URL on the desktop holds the image's bytes; a cell
// that moves to another group is unmounted and mounted again in one render,
// and keeps its URL).
import { defineStore } from 'pinia'
import { useTransport } from '../api/transport'

/** How long an unused URL is kept for a thumbnail that comes straight back. */
export const RELEASE_AFTER_MS = 2000

interface Entry {
  users: number
  url: Promise<string | null>
  /** The URL once known (undefined while it is asked for). */
  known?: string | null
  releaseTimer: ReturnType<typeof setTimeout> | null
}

export const useCellImagesStore = defineStore('cell-images', () => {
  // Not reactive state: URLs are handed to components, which keep their own ref.
  const entries = new Map<number, Entry>()

  /** A URL showing cell `id` (null when the core has no image for it); call `release(id)` when done. */
  function acquire(id: number): Promise<string | null> {
    let e = entries.get(id)
    if (!e) {
      const entry: Entry = { users: 0, url: useTransport().cellImageUrl(id), releaseTimer: null }
      void entry.url.then((u) => (entry.known = u), () => undefined)
      entries.set(id, (e = entry))
    }
    if (e.releaseTimer) clearTimeout(e.releaseTimer)
    e.releaseTimer = null
    e.users++
    return e.url
  }

  function release(id: number): void {
    const e = entries.get(id)
    if (!e || e.users === 0) return
    if (--e.users > 0) return
    e.releaseTimer = setTimeout(() => {
      if (e.users > 0 || entries.get(id) !== e) return
      entries.delete(id)
      void e.url.then((url) => url && useTransport().releaseImageUrl(url))
    }, RELEASE_AFTER_MS)
  }

  /**
   * The URL of a cell held now, when already known: a thumbnail mounted
   * again (a cell that moved to another group when the slide was classified)
   * shows its image in the same render instead of one more render later.
   */
  function known(id: number): string | null | undefined {
    return entries.get(id)?.known
  }

  /** How many cells have a URL held (for tests and diagnostics). */
  const held = (): number => entries.size

  return { acquire, release, known, held }
})
