import type { FunctionTool } from '../toolset';

/**
 * The example tool of the default team (`module: builtin:current-time`): the time now, in UTC or
 * an IANA time zone. Its one string property is an enum so that the offline model, which fills a
 * string with the user's message, still calls it with a valid argument.
 */
export const currentTime: FunctionTool = {
  name: 'current_time',
  description: 'Tells the current date and time in UTC',
  parameters: {
    type: 'object',
    properties: {
      format: { type: 'string', enum: ['iso', 'text'], description: 'iso: 2026-01-31T09:30:00.000Z; text: a sentence' },
      timeZoneName: { type: 'string', pattern: '^[A-Za-z_]+(/[A-Za-z_+-]+)*$', description: 'An IANA time zone (Europe/Paris); UTC when absent' },
    },
    additionalProperties: false,
  },
  handler(args) {
    const now = new Date();
    const zone = typeof args.timeZoneName === 'string' ? args.timeZoneName : 'UTC';
    if (args.format === 'text' || zone !== 'UTC') {
      return `It is ${now.toLocaleString('en-GB', { timeZone: zone, dateStyle: 'full', timeStyle: 'long' })}.`;
    }
    return now.toISOString();
  },
};

export const tools = [currentTime];
