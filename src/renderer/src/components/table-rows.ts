// Keyboard selection in the app's selectable tables (runs, generators,
// slides): arrow up/down selects the neighbouring row and moves the focus to
// it, so a list can be walked without the mouse.

/**
 * Handles ArrowUp/ArrowDown on row `index`: selects the neighbour through
 * `select` and focuses its element (`[<rowAttr>="<id>"]`). Other keys and
 * moves past either end are left alone.
 */
export function arrowSelect(e: KeyboardEvent, rows: readonly { id: number }[], index: number, rowAttr: string, select: (id: number) => void): void {
  const next = e.key === 'ArrowDown' ? index + 1 : e.key === 'ArrowUp' ? index - 1 : -1
  if (next < 0 || next >= rows.length) return
  e.preventDefault()
  const id = rows[next]!.id
  select(id)
  ;(document.querySelector(`[${rowAttr}="${id}"]`) as HTMLElement | null)?.focus()
}
