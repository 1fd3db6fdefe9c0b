import type { TeamMember } from './types';

/** Words too common to say anything about what a message is about. */
const STOPWORDS = new Set(
  'the and for are but not you your yours with this that these those from into onto have has had was were will would can could should shall may might must what when where which who whom whose why how all any some each about above after again against below between both during before other our ours out over own same than then there their theirs them they too under until very also just only such its it\'s his her hers him she he we us me my mine i\'m please want need help'.split(' '),
);

function keywords(text: string): Set<string> {
  return new Set(
    text
      .toLowerCase()
      .split(/[^\p{L}\p{N}']+/u)
      .filter((w) => w.length >= 3 && !STOPWORDS.has(w)),
  );
}

/**
 * Two words match when equal or when one starts with the other and the shorter has at least 4
 * letters: a crude stemmer, so `plan` matches `planning` and `facts` matches `fact`, while short
 * words (`art`, `article`) stay apart.
 */
function matches(a: string, b: string): boolean {
  if (a === b) return true;
  const [short, long] = a.length <= b.length ? [a, b] : [b, a];
  return short.length >= 4 && long.startsWith(short);
}

export interface CapabilityMatch {
  readonly member: TeamMember;
  readonly score: number;
  /** The member's keywords the message matched. */
  readonly matched: readonly string[];
}

/**
 * The member whose capabilities and description share the most keywords with `text`, or
 * undefined when none shares any. A capability counts twice a description word: it is what the
 * member was declared to do, the description only prose around it. Ties go to the member listed
 * first.
 */
export function matchByCapability(text: string, members: readonly TeamMember[]): CapabilityMatch | undefined {
  const words = [...keywords(text)];
  const hit = (keyword: string) => words.some((w) => matches(w, keyword));
  let best: CapabilityMatch | undefined;
  for (const member of members) {
    const capabilityWords = [...keywords(member.capabilities.join(' '))];
    // A description restating a capability ("explains" for `explain`) does not count it twice.
    const descriptionWords = [...keywords(member.description)].filter((w) => !capabilityWords.some((c) => matches(w, c)));
    const matchedCapabilities = capabilityWords.filter(hit);
    const matchedDescription = descriptionWords.filter(hit);
    const score = 2 * matchedCapabilities.length + matchedDescription.length;
    // Strictly greater: an equal score later in the list does not displace the earlier member.
    if (score > 0 && score > (best?.score ?? 0)) best = { member, score, matched: [...matchedCapabilities, ...matchedDescription] };
  }
  return best;
}
