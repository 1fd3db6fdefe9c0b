/**
 * How a remembered turn carries its date in a prompt: `[2026-03-01 12:00 UTC] text`. One format,
 * written where agents build prompts and read back by the offline model, so that both agree and a
 * real model can answer "when did…" from the text alone. UTC to the minute: the same item always
 * renders the same, whatever the server's time zone.
 */

const DATED = /^\[(\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC)\] ([\s\S]*)$/;

/** `text` marked with `isoTime` (ISO-8601); a time that does not parse is shown as given. */
export function datedText(isoTime: string, text: string): string {
  const time = new Date(isoTime);
  const shown = Number.isNaN(time.getTime()) ? isoTime : `${time.toISOString().slice(0, 10)} ${time.toISOString().slice(11, 16)} UTC`;
  return `[${shown}] ${text}`;
}

/** The date and text of a `datedText`, or undefined for text without one. */
export function parseDatedText(text: string): { readonly date: string; readonly text: string } | undefined {
  const match = DATED.exec(text);
  return match ? { date: match[1], text: match[2] } : undefined;
}
