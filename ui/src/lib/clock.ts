/**
 * A local clock for countdowns, ETAs and speeds that must age while no event arrives. It only
 * reads the time; it never asks the shell for anything. It ticks once a second only while
 * something on screen ages (a job moves or waits to retry): an idle window runs no timer.
 */
import { readable, type Readable } from "svelte/store";

/** How often the clock ticks while it runs, in milliseconds. */
export const TICK_MS = 1000;

/** A clock that ticks only while told something ages. */
export type Clock = {
  /** Monotonic milliseconds, refreshed every [`TICK_MS`] while running and read. */
  readonly now: Readable<number>;
  /** Starts (true) or stops (false) the ticking; a start reads the time at once. */
  setRunning(running: boolean): void;
};

/** A clock reading `read` (monotonic ms); it starts stopped. */
export function createClock(read: () => number = () => performance.now()): Clock {
  let running = false;
  let set: ((value: number) => void) | null = null;
  let timer: ReturnType<typeof setInterval> | null = null;
  const stopTimer = () => {
    if (timer !== null) clearInterval(timer);
    timer = null;
  };
  const startTimer = () => {
    const tick = set;
    if (timer !== null || tick === null || !running) return;
    tick(read());
    timer = setInterval(() => tick(read()), TICK_MS);
  };
  const now = readable(read(), (assign) => {
    set = assign;
    assign(read());
    startTimer();
    return () => {
      stopTimer();
      set = null;
    };
  });
  return {
    now,
    setRunning(next: boolean) {
      if (next === running) return;
      running = next;
      if (running) startTimer();
      else {
        stopTimer();
        set?.(read());
      }
    },
  };
}

const shared = createClock();

/** The window's clock (see [`createClock`]). */
export const now: Readable<number> = shared.now;

/** Runs the window's clock while something on screen ages, and stops it otherwise. */
export function setClockRunning(running: boolean): void {
  shared.setRunning(running);
}
