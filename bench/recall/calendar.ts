/** Dates as the generated conversations speak of them. All in UTC: one seed, one data set, whatever the machine's time zone. */
import type { SeededRandom } from './seeded-random';

export const DAY_MS = 24 * 3600 * 1000;
export const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
/** Indexed as `Date.getUTCDay()`. */
export const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

export const isoDate = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/** 1st, 2nd, 3rd, 4th, … 11th, 12th, 13th, … 21st. */
export function ordinal(n: number): string {
  const suffix = n % 10 === 1 && n % 100 !== 11 ? 'st' : n % 10 === 2 && n % 100 !== 12 ? 'nd' : n % 10 === 3 && n % 100 !== 13 ? 'rd' : 'th';
  return `${n}${suffix}`;
}

/**
 * A relative date as people say it, and the day it means, seen from `sessionMs`. Weekday names
 * and "last weekend" need the session's own date to resolve: what time-aware retrieval is for.
 */
export function relativeDate(random: SeededRandom, sessionMs: number): { readonly when: string; readonly date: string } {
  const day = Math.floor(sessionMs / DAY_MS) * DAY_MS;
  const weekday = new Date(day).getUTCDay();
  const back = (days: number) => isoDate(day - days * DAY_MS);
  switch (random.int(0, 6)) {
    case 0:
      return { when: 'yesterday', date: back(1) };
    case 1:
      return { when: 'the day before yesterday', date: back(2) };
    case 2:
      return { when: 'this morning', date: back(0) };
    case 3: {
      const days = random.int(1, 6);
      return { when: `last ${WEEKDAYS[(weekday - days + 7) % 7]}`, date: back(days) };
    }
    case 4: {
      // The Saturday of the weekend before this one: on a weekend day, the one a week earlier.
      const days = ((weekday + 1) % 7) + (weekday === 6 || weekday === 0 ? 7 : 0);
      return { when: 'last weekend', date: back(days) };
    }
    case 5:
      return { when: 'two weeks ago', date: back(14) };
    default: {
      const date = new Date(day - random.int(3, 25) * DAY_MS);
      return { when: `on the ${ordinal(date.getUTCDate())} of ${MONTHS[date.getUTCMonth()]}`, date: isoDate(date.getTime()) };
    }
  }
}
