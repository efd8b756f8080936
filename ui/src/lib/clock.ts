/**
 * A local clock for countdowns, ETAs and speeds that must age while no event arrives. It only
 * reads the time; it never asks the shell for anything.
 */
import { readable, type Readable } from "svelte/store";

/** Monotonic milliseconds, refreshed every second while someone is reading. */
export const now: Readable<number> = readable(performance.now(), (set) => {
  set(performance.now());
  const timer = setInterval(() => set(performance.now()), 1000);
  return () => clearInterval(timer);
});
