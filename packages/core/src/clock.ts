/**
 * Time comes from a Clock, never from `Date.now()` inside domain, store or scheduler code, so that tests can drive
 * days of retention, schedule and autoscale behaviour in seconds with a fake clock.
 */
export interface Clock {
  /** The current time. */
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
