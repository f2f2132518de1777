// The cell cursor and the selection the review keys and clicks work on, over
// a gallery's cells in display order: moving by cell, row or group,
// extending a range from the anchor, toggling, selecting a group, and which
// cells an action applies to. Plain state for the review store to hold (a
// composable, not a store: it has no life of its own outside one review).
import { computed, ref, type Ref } from 'vue'
import type { GalleryCell, GalleryGroup } from '../../../shared/review'

export type SelectMode = 'single' | 'toggle' | 'range'

export function useCellCursor(groups: Ref<readonly GalleryGroup[]>) {
  const cursor = ref<number | null>(null)
  const selection = ref<Set<number>>(new Set())
  const anchor = ref<number | null>(null)

  /** Every cell in display order: the order arrows, auto-advance and range selection follow. */
  const cells = computed<GalleryCell[]>(() => groups.value.flatMap((g) => g.cells))
  const indexById = computed(() => new Map(cells.value.map((c, i) => [c.id, i])))
  const current = computed<GalleryCell | null>(() => (cursor.value === null ? null : (cells.value[indexById.value.get(cursor.value) ?? -1] ?? null)))
  const groupOf = (cellId: number): string | null => cells.value[indexById.value.get(cellId) ?? -1]?.group ?? null
  const has = (cellId: number): boolean => indexById.value.has(cellId)
  /** What an action applies to: the selection when there is one, else the cell under the cursor. */
  const targets = computed<number[]>(() => {
    if (selection.value.size) return cells.value.filter((c) => selection.value.has(c.id)).map((c) => c.id)
    return cursor.value !== null && indexById.value.has(cursor.value) ? [cursor.value] : []
  })

  /** Forgets cursor, selection and anchor (another slide). */
  function reset(): void {
    cursor.value = null
    selection.value = new Set()
    anchor.value = null
  }

  /** After the cells changed: keep the cursor on a cell that still exists; drop selected cells that are gone. */
  function keepToCells(): void {
    if (cursor.value === null || !indexById.value.has(cursor.value)) cursor.value = cells.value[0]?.id ?? null
    const kept = [...selection.value].filter((c) => indexById.value.has(c))
    if (kept.length !== selection.value.size) selection.value = new Set(kept)
  }

  function setCursor(id: number | null): void {
    if (id !== null && !indexById.value.has(id)) return
    cursor.value = id
  }

  /** Moves the cursor by `delta` cells in display order; with `extend`, the selection grows from the anchor. */
  function move(delta: number, extend = false): void {
    const list = cells.value
    if (!list.length) return
    const at = cursor.value === null ? -1 : (indexById.value.get(cursor.value) ?? -1)
    const next = Math.min(list.length - 1, Math.max(0, at < 0 ? 0 : at + delta))
    moveTo(list[next]!.id, extend)
  }

  function moveTo(id: number, extend = false): void {
    if (!indexById.value.has(id)) return
    if (extend) {
      if (anchor.value === null) anchor.value = cursor.value ?? id
      cursor.value = id
      selectRange(anchor.value, id)
    } else {
      cursor.value = id
    }
  }

  /** The first cell of the next (+1) or previous (-1) non-empty group. */
  function moveGroup(direction: 1 | -1): void {
    const gs = groups.value.filter((g) => g.cells.length)
    if (!gs.length) return
    const here = cursor.value === null ? -1 : gs.findIndex((g) => g.cells.some((c) => c.id === cursor.value))
    const next = here < 0 ? 0 : Math.min(gs.length - 1, Math.max(0, here + direction))
    cursor.value = gs[next]!.cells[0]!.id
  }

  function selectRange(from: number, to: number): void {
    const a = indexById.value.get(from)
    const b = indexById.value.get(to)
    if (a === undefined || b === undefined) return
    const [lo, hi] = a <= b ? [a, b] : [b, a]
    selection.value = new Set(cells.value.slice(lo, hi + 1).map((c) => c.id))
  }

  /** Mouse-style selection: a plain click picks one cell, ctrl toggles, shift takes the range from the anchor. */
  function select(id: number, mode: SelectMode = 'single'): void {
    if (!indexById.value.has(id)) return
    if (mode === 'range') {
      selectRange(anchor.value ?? cursor.value ?? id, id)
    } else if (mode === 'toggle') {
      const s = new Set(selection.value)
      if (s.has(id)) s.delete(id)
      else s.add(id)
      selection.value = s
      anchor.value = id
    } else {
      selection.value = new Set()
      anchor.value = id
    }
    cursor.value = id
  }

  function toggleSelected(id = cursor.value): void {
    if (id !== null) select(id, 'toggle')
  }

  /** Every cell of a group (default: the cursor's group). */
  function selectGroup(label = cursor.value === null ? null : groupOf(cursor.value)): void {
    const g = groups.value.find((x) => x.label === label)
    if (!g || !g.cells.length) return
    selection.value = new Set(g.cells.map((c) => c.id))
    anchor.value = g.cells[0]!.id
    if (cursor.value === null || groupOf(cursor.value) !== label) cursor.value = g.cells[0]!.id
  }

  function clearSelection(): void {
    selection.value = new Set()
    anchor.value = null
  }

  /** The cell to show after `ids` leave their place: the next one in display order that is not moving, else the one before. */
  function cellAfter(ids: readonly number[]): number | null {
    const moving = new Set(ids)
    const list = cells.value
    const last = Math.max(...ids.map((id) => indexById.value.get(id) ?? -1))
    for (let i = last + 1; i < list.length; i++) if (!moving.has(list[i]!.id)) return list[i]!.id
    for (let i = last - 1; i >= 0; i--) if (!moving.has(list[i]!.id)) return list[i]!.id
    return null
  }

  return {
    cursor, selection, anchor, cells, current, targets, groupOf, has,
    reset, keepToCells, setCursor, move, moveTo, moveGroup, select, toggleSelected, selectGroup, clearSelection, cellAfter
  }
}
