/**
 * The arithmetic of a virtual list with fixed row height: which rows a viewport shows, plus a
 * few above and below so fast scrolling never reveals blank space.
 */

/** Height of one row of the job list in pixels; the stylesheet's --row-height is the same. */
export const ROW_HEIGHT = 40;

/** Rows rendered above and below the viewport. */
export const OVERSCAN = 6;

/** Rows to render: `start` inclusive, `end` exclusive. */
export type RowWindow = { start: number; end: number };

/** The rows to render for a viewport at `scrollTop` of height `viewportHeight`. */
export function rowWindow(
  scrollTop: number,
  viewportHeight: number,
  rowHeight: number,
  rowCount: number,
  overscan: number,
): RowWindow {
  if (rowCount <= 0 || rowHeight <= 0) return { start: 0, end: 0 };
  const first = Math.floor(Math.max(0, scrollTop) / rowHeight);
  const visible = Math.ceil(Math.max(0, viewportHeight) / rowHeight) + 1;
  const start = Math.max(0, Math.min(first, rowCount - 1) - overscan);
  const end = Math.min(rowCount, first + visible + overscan);
  return { start, end };
}

/**
 * The scrollTop that brings row `index` fully into view, or null when it already is.
 */
export function scrollToReveal(
  index: number,
  scrollTop: number,
  viewportHeight: number,
  rowHeight: number,
): number | null {
  const top = index * rowHeight;
  const bottom = top + rowHeight;
  if (top < scrollTop) return top;
  if (bottom > scrollTop + viewportHeight) return bottom - viewportHeight;
  return null;
}

/** How many rows a viewport of `viewportHeight` at the top of the list renders. */
export function rowsAtTop(viewportHeight: number): number {
  return rowWindow(0, viewportHeight, ROW_HEIGHT, Number.MAX_SAFE_INTEGER, OVERSCAN).end;
}

/** A row the list renders: a job at its position in the list. */
export type RowItem<T> = { readonly job: T; readonly index: number };

/**
 * The rows of `range` in `ids`, each with its job from `jobOf` (ids without one are left out).
 * A row whose position and job are what they were in `previous` is the very same object, so
 * the list leaves its element alone: a progress batch updates only the rows that moved.
 */
export function rowsOf<Id, T>(
  ids: readonly Id[],
  range: RowWindow,
  jobOf: (id: Id) => T | undefined,
  previous: readonly RowItem<T>[],
): RowItem<T>[] {
  const before = new Map(previous.map((row) => [row.index, row]));
  const rows: RowItem<T>[] = [];
  for (let index = range.start; index < range.end; index++) {
    const id = ids[index];
    const job = id === undefined ? undefined : jobOf(id);
    if (job === undefined) continue;
    const kept = before.get(index);
    rows.push(kept !== undefined && kept.job === job ? kept : { job, index });
  }
  return rows;
}
