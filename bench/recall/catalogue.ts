/**
 * What the generator plants, as templates (notation in template.ts). Each kind of fact says how a
 * user states it, how it is asked about later, how it changes, and what else is said on the same
 * topic without answering the question (distractors).
 *
 * The one rule that makes this a retrieval test rather than a string match: a question is worded
 * the way someone asks, not the way they told it — synonyms ("spouse" for "husband", "couch" for
 * "sofa"), other constructions ("Which town am I based in?" for "Our flat in Lyon…"). Some
 * questions still share a name or a topic word with their evidence, as real ones do; the run
 * reports how much of each question's wording its evidence contains (`lexical overlap`).
 */
import { MONTHS, WEEKDAYS, ordinal } from './calendar';
import type { SeededRandom } from './seeded-random';
import type { Slots } from './template';
import {
  ALLERGENS, AUTHORS, BANDS, BOOK_TITLES, CARS, CHORES, CITIES, COLOURS, DISHES, DRINKS, EMPLOYERS, EXAMS, FIRST_NAMES, HOBBIES, INJURIES,
  GIFT_FOR, INGREDIENTS, INSTRUMENTS, JOBS, LANGUAGES, MEN_NAMES, WOMEN_NAMES, PETS, PET_NAMES, PURCHASES, RESTAURANTS, SKILLS, SPORTS, SURNAMES, TV_SHOWS, WORK_TASKS,
} from './vocabulary';

/** What a kind draws its values with: `fresh` never returns a value this user already has. */
export interface Draw {
  readonly random: SeededRandom;
  fresh(pool: readonly string[]): string;
  /** For pools of objects: a fresh entry, told apart by `key`. */
  freshOf<T>(pool: readonly T[], key: (entry: T) => string): T;
}

/** A fact about the user, asked about once (single-hop), or changed later and asked about as it is now (updated). */
export interface FactKind {
  readonly key: string;
  /** The slots of every template below; `answer` is what a correct reply says. */
  readonly draw: (d: Draw) => Slots;
  readonly statements: readonly string[];
  readonly questions: readonly string[];
  /** A change: `change` draws the new slots; update templates see the old ones as `old<Slot>` too. */
  readonly update?: {
    readonly change: (d: Draw, old: Slots) => Slots;
    readonly statements: readonly string[];
    readonly questions: readonly string[];
  };
  /** Turns on the same topic that do not answer the question (often naming a similar value). */
  readonly distractors: readonly string[];
  /** The assistant's answers to a statement: on topic, never repeating the value. */
  readonly replies: readonly string[];
}

/** Something that happened on a day, told with a relative date (`{when}`), asked "when…". */
export interface EventKind {
  readonly key: string;
  readonly draw: (d: Draw) => Slots;
  readonly statements: readonly string[];
  readonly questions: readonly string[];
  readonly distractors: readonly string[];
  readonly replies: readonly string[];
}

/**
 * Evidence spread over sessions: a collection told piece by piece (every part uses `parts[0]`),
 * or a chain whose parts each need their own template (`parts[i]`: "my sister is Clara", later
 * "Clara adopted a dog"). `draw` gives each part's slots and the question's.
 */
export interface MultiSessionKind {
  readonly key: string;
  readonly draw: (d: Draw) => { readonly parts: readonly Slots[]; readonly question: Slots };
  readonly parts: readonly (readonly string[])[];
  readonly questions: readonly string[];
  readonly distractors: readonly string[];
  readonly replies: readonly string[];
}

/** Small talk and everyday requests: the haystack. */
export interface Filler {
  readonly draw: (d: Draw) => Slots;
  readonly user: readonly string[];
  readonly assistant: readonly string[];
}

/** Names that go with a relation: a sister's is a woman's name, a partner's either. */
const namesFor = (relation: string): readonly string[] =>
  ['wife', 'girlfriend', 'sister', 'daughter'].includes(relation) ? WOMEN_NAMES : ['husband', 'boyfriend', 'brother', 'son'].includes(relation) ? MEN_NAMES : FIRST_NAMES;
const article = (word: string) => (/^[aeiou]/i.test(word) ? `an ${word}` : `a ${word}`);
const amount = (r: SeededRandom, from: number, to: number, step: number) => String(from + step * r.int(0, Math.floor((to - from) / step)));
/** A changed number must differ from the old one. */
const differentFrom = (old: string, next: () => string) => {
  for (;;) {
    const value = next();
    if (value !== old) return value;
  }
};

export const FACT_KINDS: readonly FactKind[] = [
  {
    key: 'pet',
    draw: (d) => {
      const pet = d.freshOf(PETS, (p) => p.kind);
      const name = d.fresh(PET_NAMES);
      return { kind: pet.kind, asked: pet.asked, name, answer: name, otherName: d.fresh(PET_NAMES), otherPet: d.random.pick(PETS).kind, friend: d.fresh(FIRST_NAMES) };
    },
    statements: [
      'We [finally|just] brought home a {kind} from the shelter[ this week|] and the kids insisted on calling it {name}.',
      '{name} — that is our new {kind} — chewed through [my slippers|a phone charger|the sofa cushion] [again|last night].',
      '[Guess what,|Big news:] I adopted a little {kind}! [Her|His] name is {name}[ and she already rules the house|].',
      'Trying to teach {name} to stop [jumping on guests|scratching the door|begging at dinner]. Looking after a {kind} is harder than I expected.',
    ],
    questions: ['What is my {kind} called?', 'What did we call the {kind} we adopted?', 'What did I name my {asked}?', 'Which name did we give the animal that joined our household?', "What's my pet called again?"],
    distractors: [
      'My [neighbour|colleague|friend] {friend} just got a {otherPet} called {otherName} and will not stop sending photos.',
      'Do {kind}s [need a lot of exercise|get lonely when left alone|need vaccinations every year]?',
      'Saw the cutest {otherPet} at the park today, apparently it is called {otherName}.',
    ],
    replies: [
      'Congratulations on the new addition! Rescue animals often take a few weeks to settle in.',
      'Ha, sounds like a handful. Consistent routines and lots of praise usually help.',
      'How lovely. Have you found a vet nearby yet?',
    ],
  },
  {
    key: 'home-city',
    draw: (d) => {
      const city = d.fresh(CITIES);
      return { city, answer: city, otherCity: d.fresh(CITIES), friend: d.fresh(FIRST_NAMES) };
    },
    statements: [
      'I live in {city} and the trams were on strike again this morning, [it took me ages to get anywhere|so I walked].',
      'Our flat in {city} has the tiniest kitchen [you can imagine|ever], but the view makes up for it.',
      'I love living in {city} in spring, the whole riverside is full of people.',
      'Rents in {city} keep going up, [not sure how long we can live here|it is getting silly to live here].',
    ],
    questions: ['Which city do I live in?', 'Where am I living these days?', 'Where is my flat?', 'Which town am I based in?', 'What city do I reside in?'],
    update: {
      change: (d) => {
        const city = d.fresh(CITIES);
        return { city, answer: city };
      },
      statements: [
        'Big news: we [finally|officially] moved from {oldCity} to {city}[, boxes everywhere|].',
        'First week since we moved to {city} — [I already miss the bakeries back in {oldCity}|the new flat is lovely].',
        'We did it, we moved out of {oldCity}! Unpacking in {city} [all weekend|since Monday].',
      ],
      questions: ['Where have we moved to?', 'Where do I live now?', 'Which place do I call home these days?', "What's my current city of residence?"],
    },
    distractors: [
      'My [sister|cousin|friend {friend}] is thinking of moving to {otherCity}, [have you heard anything about it|is it expensive there]?',
      'What is the weather usually like in {otherCity} in October?',
      'I spent a weekend in {otherCity} years ago and still dream about the food.',
    ],
    replies: ['Moving is exhausting but exciting. Give yourself time to settle in.', 'That sounds like a lovely place, the riverside walks must be great.', 'Housing costs are rising almost everywhere, sadly.'],
  },
  {
    key: 'job',
    draw: (d) => {
      const job = d.freshOf(JOBS, (j) => j.job);
      const other = d.freshOf(JOBS, (j) => j.job);
      return { job: job.job, aJob: article(job.job), place: job.place, answer: job.job, years: String(d.random.int(2, 15)), aOtherJob: article(other.job), friend: d.fresh(FIRST_NAMES), otherEmployer: d.fresh(EMPLOYERS) };
    },
    statements: [
      'Another long shift at {place} today. My job as {aJob} is [rewarding|exhausting|never boring], but my feet hate me.',
      "I've been working as {aJob} for about {years} years now[ and I still love it|].",
      'Work was [chaos|hectic] today — three people called in sick and I was the only {job} on the rota.',
    ],
    questions: ['What is my job?', 'What have I been working as?', 'Where do I work?', 'What do I do for a living?', "What's my profession?", 'What kind of work am I employed in?'],
    update: {
      change: (d) => {
        const job = d.freshOf(JOBS, (j) => j.job);
        return { job: job.job, aJob: article(job.job), place: job.place, employer: d.fresh(EMPLOYERS), answer: job.job };
      },
      statements: [
        'I handed in my notice! My new job: {aJob} at {employer}, starting next month[ — a complete change from being {oldAJob}|].',
        'First day in the new role as {aJob} went well[, everyone at {employer} seems friendly|].',
      ],
      questions: ['What is my new job?', "What's my new line of work after switching careers?", 'Which career did I move into?', 'What is my occupation now?'],
    },
    distractors: [
      'My friend {friend} wants to become {aOtherJob}, any idea what training that takes?',
      'Is it normal to dread work on a Sunday evening?',
      '{friend} from {otherEmployer} asked me to look over a CV for {aOtherJob} position.',
    ],
    replies: ['That sounds demanding. Make sure you get proper rest between shifts.', 'It is great that you still enjoy it after all this time.', 'A change like that takes courage. Congratulations!'],
  },
  {
    key: 'partner',
    draw: (d) => {
      const partner = d.random.pick(['husband', 'wife', 'partner', 'boyfriend', 'girlfriend']);
      const name = d.fresh(namesFor(partner));
      return { partner, name, answer: name, otherName: d.fresh(FIRST_NAMES) };
    },
    statements: [
      'My {partner} {name} surprised me with [breakfast in bed|concert tickets|a weekend away] for our anniversary.',
      'My {partner} {name} and I have been together [six|eight|three|eleven] years this autumn[, time flies|].',
      'Cooked dinner with my {partner} {name} tonight — [we never agree on how to load the dishwasher|the curry was a triumph].',
    ],
    questions: ["What is my {partner}'s name?", "What's my spouse called?", 'Who is my significant other?', 'What is the name of the person I am in a relationship with?'],
    distractors: ['My friend {otherName} just got engaged, what is a good engagement present?', 'Any ideas for a [romantic|cheap|fun] date night at home?'],
    replies: ['That is so thoughtful! Anniversaries are worth celebrating.', 'Sounds like a lovely evening together.'],
  },
  {
    key: 'favourite-dish',
    draw: (d) => {
      const dish = d.fresh(DISHES);
      return { dish, answer: dish, otherDish: d.fresh(DISHES) };
    },
    statements: [
      'Honestly nothing beats a big bowl of {dish}, I could eat it every single day.',
      'Made {dish} again for dinner[, third time this week|]. It is my absolute comfort food.',
      'If I could only eat one thing forever it would be {dish}.',
    ],
    questions: ["What's my comfort food?", 'What could I eat every single day?', "What's my favourite meal?", 'What dish do I crave most often?'],
    update: {
      change: (d) => {
        const dish = d.fresh(DISHES);
        return { dish, answer: dish };
      },
      statements: ["I've gone completely off {oldDish}. These days I'm obsessed with {dish}[, I order it whenever we eat out|].", 'New favourite alert: {dish}. Sorry {oldDish}, you have been replaced.'],
      questions: ['What am I obsessed with eating these days?', "What's my current favourite thing to eat?", 'Which meal have I been craving lately?'],
    },
    distractors: ['Can you give me a recipe for {otherDish}[ that serves four|]?', 'My [colleague|brother] cannot stop talking about {otherDish}, I do not get the hype.'],
    replies: ['Good comfort food is hard to beat. Do you make it from scratch?', 'Ha, we all have that one dish. Enjoy!'],
  },
  {
    key: 'allergy',
    draw: (d) => {
      const allergen = d.fresh(ALLERGENS);
      return { allergen, answer: allergen, otherAllergen: d.fresh(ALLERGENS) };
    },
    statements: [
      "I can't have anything with {allergen} in it, I come out in hives[ within minutes|].",
      'The waiter swore there was no {allergen} in the sauce, and I still had a reaction. Had to use my EpiPen.',
      "Reading labels takes forever when you're allergic to {allergen}.",
    ],
    questions: ['What am I allergic to?', 'What food gives me a reaction?', 'What gives me hives?', 'Which ingredient should recipes for me avoid?', 'What am I intolerant to?'],
    distractors: ['My nephew is allergic to {otherAllergen}, what snacks are safe for a birthday party?', 'Is hay fever usually worse in [May|June|April]?'],
    replies: ['That sounds scary, I am glad you are okay. Carrying a card that lists what you react to can help.', 'Label reading is tedious but worth it. Many apps can scan barcodes for you.'],
  },
  {
    key: 'car',
    draw: (d) => {
      const car = d.fresh(CARS);
      return { car, colour: d.random.pick(COLOURS), answer: car, otherCar: d.fresh(CARS) };
    },
    statements: ['Picked up my new car from the dealer today, a {colour} {car}[, it still smells new|]!', 'The {car} needs new tyres already[, this car is costing me a fortune|].', 'Drove my car up to the coast at the weekend — the {car} is great on fuel.'],
    questions: ['What car do I drive?', 'What vehicle do I own?', 'Which make and model is my motor?'],
    update: {
      change: (d) => {
        const car = d.fresh(CARS);
        return { car, colour: d.random.pick(COLOURS), answer: car };
      },
      statements: ['Sold the old {oldCar} and traded up to a {colour} {car}.', 'We finally replaced the {oldCar}. The new {car} [is electric, no more petrol stations|has heated seats, bliss].'],
      questions: ['What is my new car?', 'What do I drive now that I got rid of my old vehicle?', "What's my current automobile?"],
    },
    distractors: ['My brother is thinking about buying a {otherCar}, are they reliable?', 'How often should a car get its oil changed?'],
    replies: ['Enjoy the new wheels! Keep an eye on the tyre pressure in winter.', 'A coastal drive sounds wonderful.'],
  },
  {
    key: 'rent',
    draw: (d) => {
      const rent = amount(d.random, 700, 2400, 25);
      return { rent, answer: `${rent} euros`, otherRent: amount(d.random, 500, 2000, 50), friend: d.fresh(FIRST_NAMES) };
    },
    statements: ['The landlord put our rent up to {rent} euros a month. Ridiculous.', 'After paying {rent} in rent each month there is not much left for fun.'],
    questions: ['How much is my rent?', 'What does my flat cost me every month?', 'How much do I pay for housing monthly?'],
    update: {
      change: (d, old) => {
        const rent = differentFrom(old.rent, () => amount(d.random, 700, 2400, 25));
        return { rent, answer: `${rent} euros` };
      },
      statements: ['The landlord finally sent the new contract: {rent} euros from now on, instead of {oldRent}.', 'New lease signed, and the rent goes from {oldRent} to {rent} euros.'],
      questions: ['How much rent do I pay now?', "What's my current monthly housing cost?", 'How much do I pay the landlord now?'],
    },
    distractors: ['My friend {friend} pays {otherRent} for a studio, is that normal?', 'Should I spend more than a third of my income on accommodation?'],
    replies: ['That is a big chunk of your income. It might be worth checking the local rent caps.', 'Budgeting around rent is tough. Want help drafting a monthly plan?'],
  },
  {
    key: 'commute',
    draw: (d) => {
      const minutes = String(d.random.int(10, 80));
      return { minutes, answer: `${minutes} minutes`, otherMinutes: String(d.random.int(10, 90)), friend: d.fresh(FIRST_NAMES) };
    },
    statements: ['The bus ride to the office takes {minutes} minutes each way[, I get a lot of reading done|].', 'Cycled in today: {minutes} minutes door to door.'],
    questions: ['How many minutes does it take me to get to the office?', 'How long is my journey to work?', 'How much time do I spend travelling to my job?'],
    update: {
      change: (d, old) => {
        const minutes = differentFrom(old.minutes, () => String(d.random.int(10, 80)));
        return { minutes, answer: `${minutes} minutes` };
      },
      statements: ['Since the timetable change, getting to the office takes {minutes} minutes instead of {oldMinutes}.', 'Different route since the roadworks: {minutes} minutes to the office now, not {oldMinutes}.'],
      questions: ['How many minutes is my trip to the office now?', 'How long does my journey to work take these days?', 'What is my travel time to my job now?'],
    },
    distractors: ['{friend} drives {otherMinutes} minutes to work every day, I would go mad.', 'Any podcasts for a [short|long] commute?'],
    replies: ['That is a decent amount of time to read or listen to something.', 'Cycling in is a great way to wake up.'],
  },
  {
    key: 'sport',
    draw: (d) => {
      const sport = d.fresh(SPORTS);
      return { sport, weekday: d.random.pick(WEEKDAYS), answer: sport, otherSport: d.fresh(SPORTS) };
    },
    statements: ['I play {sport} every {weekday} with some old university friends.', 'Lost at {sport} [badly|narrowly] tonight, but it is still the best part of my week.'],
    questions: ['Which sport do I play every week?', 'Which game do I take part in each week?', 'What team activity do I do regularly?'],
    distractors: ['Is {otherSport} good exercise?', 'My knees are sore after [running|the stairs], should I stretch more?'],
    replies: ['Regular games with friends are great for body and mind.', 'Next time! The social side is what counts.'],
  },
  {
    key: 'language',
    draw: (d) => {
      const language = d.fresh(LANGUAGES);
      return { language, answer: language, otherLanguage: d.fresh(LANGUAGES) };
    },
    statements: ['My {language} lessons are going well, I can finally order a coffee without panicking.', 'Practising {language} verbs on the train again[ — the conjugations are brutal|].'],
    questions: ['Which language am I taking lessons in?', 'Which language have I been practising?', 'Which foreign tongue am I studying?', 'What language am I trying to pick up?'],
    update: {
      change: (d) => {
        const language = d.fresh(LANGUAGES);
        return { language, answer: language };
      },
      statements: ["I've given up on {oldLanguage} for now and signed up for {language} classes instead.", 'Switched from {oldLanguage} to {language} — the teacher is much better.'],
      questions: ['Which language classes am I taking now?', 'Which language am I learning at the moment?', 'What foreign tongue did I switch to?'],
    },
    distractors: ['Is {otherLanguage} hard for English speakers?', 'My colleague speaks fluent {otherLanguage}, so jealous.'],
    replies: ['Ordering coffee is a real milestone, well done!', 'Spaced repetition apps help a lot with verb tables.'],
  },
  {
    key: 'best-friend',
    draw: (d) => {
      const name = d.fresh(FIRST_NAMES);
      return { name, city: d.fresh(CITIES), answer: name, otherName: d.fresh(FIRST_NAMES) };
    },
    statements: ['My best friend {name} is flying in from {city} next week, cannot wait!', 'Spent three hours on the phone with {name} — best friends since primary school.'],
    questions: ['Who is my best friend?', 'Who is my closest pal?', "What's the name of my oldest mate?"],
    distractors: ['A coworker called {otherName} keeps inviting me for drinks, should I go?'],
    replies: ['Old friendships like that are precious.', 'How exciting! Do you have plans for the visit?'],
  },
  {
    key: 'boss',
    draw: (d) => {
      const name = d.fresh(FIRST_NAMES);
      return { name, answer: name, otherName: d.fresh(FIRST_NAMES) };
    },
    statements: ['My boss {name} scheduled another meeting at 8am. Who does that?', 'My boss {name} approved my holiday request without any fuss. Best team lead I have had.'],
    questions: ['Who is my boss?', "What's my manager called?", 'Who do I report to at work?', "What's the name of my supervisor?"],
    distractors: ['My old supervisor {otherName} just retired, should I send a card?'],
    replies: ['Early meetings are rough. Maybe suggest a later slot?', 'A supportive lead makes all the difference.'],
  },
  {
    key: 'coffee',
    draw: (d) => {
      const drink = d.fresh(DRINKS);
      return { aDrink: article(drink), answer: drink, friend: d.fresh(FIRST_NAMES) };
    },
    statements: ['My usual at the café round the corner is {aDrink}[, they start making it when I walk in|].', 'Treated myself to {aDrink} on the way in. Same order every day.'],
    questions: ["What's my usual order at the café?", 'What do I typically get when I buy coffee?', "What's my regular drink from the coffee shop?"],
    distractors: ['Is it bad to drink four coffees a day?', '{friend} only drinks green tea, how does anyone survive on that?'],
    replies: ['Nothing like being a regular somewhere.', 'A small daily treat is well deserved.'],
  },
  {
    key: 'birthday',
    draw: (d) => {
      const month = d.random.pick(MONTHS);
      const day = d.random.int(1, 28);
      return { day: ordinal(day), month, age: String(d.random.int(24, 61)), answer: `${day} ${month}`, otherDay: ordinal(d.random.int(1, 28)), otherMonth: d.random.pick(MONTHS) };
    },
    statements: ["My birthday's on the {day} of {month}[ — planning a small dinner|], I'll be {age}.", "Can't believe I'm turning {age} on {month} the {day}[, birthday dinner is booked|, no birthday party this year]."],
    questions: ['When is my birthday?', 'When was I born?', 'What date do I celebrate getting a year older?'],
    distractors: ["My mum's birthday is on the {otherDay} of {otherMonth}, what should I get her?"],
    replies: ['Happy early birthday! A small dinner sounds perfect.', 'Age is just a number, enjoy the celebration.'],
  },
  {
    key: 'doctor',
    draw: (d) => {
      const surname = d.fresh(SURNAMES);
      return { surname, answer: `Dr ${surname}`, otherSurname: d.fresh(SURNAMES) };
    },
    statements: ['Dr {surname}, my doctor at the surgery, finally referred me to a specialist.', 'Booked a check-up with Dr {surname}, my GP, for next week.'],
    questions: ['Who is my GP?', 'Who is my doctor?', "Who's my family physician?", 'What is the name of the medic I see for general health?'],
    distractors: ['The dentist, Dr {otherSurname}, says I grind my teeth at night.'],
    replies: ['Good that things are moving. Write down your questions before the appointment.', 'Regular check-ups are worth it.'],
  },
  {
    key: 'hometown',
    draw: (d) => {
      const city = d.fresh(CITIES);
      return { city, answer: city, otherCity: d.fresh(CITIES) };
    },
    statements: ['I grew up in {city}, and every time I visit my parents it feels smaller.', 'Back in {city}, where I grew up, we used to swim in the river every summer.', 'Visiting my hometown, {city}, next month — I have not been back in years.'],
    questions: ["What's my hometown?", 'Where did I grow up?', 'Where was I raised?', 'Which town did I spend my childhood in?'],
    distractors: ["My partner's family comes from {otherCity}, we visit at Christmas."],
    replies: ['Places from childhood always feel different when we go back.', 'River swimming sounds idyllic.'],
  },
  {
    key: 'author',
    draw: (d) => {
      const author = d.fresh(AUTHORS);
      return { author, answer: author, otherAuthor: d.fresh(AUTHORS) };
    },
    statements: ["Just started another {author} novel — I've read everything they have written.", 'Nobody writes like {author}, my favourite by far. I reread the whole lot every winter.'],
    questions: ["Whose novels have I read all of?", 'Which writer do I enjoy most?', 'Who is my favourite novelist?'],
    distractors: ['My book club picked something by {otherAuthor}, not really my thing.'],
    replies: ['Having a comfort author is wonderful.', 'Rereading favourites every winter sounds cosy.'],
  },
  {
    key: 'child',
    draw: (d) => {
      const child = d.random.pick(['daughter', 'son']);
      const name = d.fresh(namesFor(child));
      return { child, asked: child === 'daughter' ? 'little girl' : 'little boy', name, answer: name, otherName: d.fresh(MEN_NAMES) };
    },
    statements: ['My {child} {name} starts school in September, I am not ready!', 'My {child} {name} lost a first tooth today and made me promise the tooth fairy would come.'],
    questions: ["What is my {child}'s name?", "What's my {asked} called?", 'What is the name of my kid?'],
    distractors: ["My sister's boy {otherName} is staying with us this weekend."],
    replies: ['Such a big milestone! Time really does fly.', 'The tooth fairy has an important job tonight.'],
  },
  {
    key: 'own-name',
    draw: (d) => {
      const name = d.fresh(FIRST_NAMES);
      return { name, answer: name };
    },
    statements: ['By the way, my name is {name}[ — I should have said so earlier|].', 'Oh, and you can call me {name}, everybody does.'],
    questions: ['What is my name?', 'What should you call me?', "What's my first name?", 'Do you remember who I am?'],
    distractors: ['What does my name mean if it comes from Old Norse?'],
    replies: ['Lovely to meet you properly!', 'Noted, thanks for telling me.'],
  },
  {
    key: 'savings',
    draw: (d) => {
      const saved = amount(d.random, 100, 900, 50);
      return { saved, city: d.fresh(CITIES), answer: `${saved} euros a month` };
    },
    statements: ['I am putting aside {saved} euros a month for a trip to {city} next year.', 'Moved {saved} into the holiday pot again, the {city} fund is growing.'],
    questions: ['How much do I put aside for the trip each month?', 'How much am I saving monthly?', 'What is my monthly contribution to my travel fund?'],
    distractors: ['Is a high-interest account worth it for small amounts?'],
    replies: ['Steady saving adds up quickly.', 'Automating the transfer makes it painless.'],
  },
];

export const EVENT_KINDS: readonly EventKind[] = [
  {
    key: 'concert',
    draw: (d) => ({ band: d.fresh(BANDS), otherBand: d.fresh(BANDS) }),
    statements: ['Saw {band} live {when} — my ears are still ringing.', '{^when} I finally got to see {band} in concert[, worth every penny|].'],
    questions: ['When did I see {band}?', 'When was the concert I went to?', 'On what date did I go to that gig?', 'When was the live music night I went to?'],
    distractors: ['{otherBand} are touring in the spring, should I get tickets?'],
    replies: ['That sounds like an amazing night!', 'Live music is the best. Which song did they open with?'],
  },
  {
    key: 'race',
    draw: (d) => ({ city: d.fresh(CITIES), time: `${d.random.int(1, 2)} hours ${d.random.int(1, 59)} minutes` }),
    statements: ['Ran the {city} half marathon {when}, finished in {time}!', '{^when} I did the {city} half — {time}, a personal best.'],
    questions: ['When did I run the half marathon?', 'When did I complete the long-distance run?', 'On which day was my race?'],
    distractors: ['How should I train for a 10k in the winter?'],
    replies: ['Congratulations, what an achievement!', 'Brilliant time. Remember to rest properly this week.'],
  },
  {
    key: 'dentist',
    draw: () => ({}),
    statements: ['Had a filling done at the dentist {when}, my jaw still aches.', '{^when} I finally went to the dentist and needed a filling, ugh.'],
    questions: ['When did I go to the dentist?', 'When did I last have dental work?', 'When did I get my tooth fixed?'],
    distractors: ['Is an electric toothbrush really better?'],
    replies: ['Sorry to hear that. The ache usually fades in a day or two.', 'Good that you got it done though!'],
  },
  {
    key: 'interview',
    draw: (d) => ({ employer: d.fresh(EMPLOYERS) }),
    statements: ['Had my interview at {employer} {when}[, I think it went well|, fingers crossed].', '{^when} I had the big interview at {employer} — three people on the panel.'],
    questions: ['When was my interview at {employer}?', 'When did I meet the hiring panel?', 'On what day did I go for that job application meeting?'],
    distractors: ['What questions should I ask at the end of an interview?'],
    replies: ['Fingers crossed for you!', 'Panels can be intense. Send a short thank-you note.'],
  },
  {
    key: 'wedding',
    draw: (d) => ({ name: d.fresh(FIRST_NAMES) }),
    statements: ["My cousin {name}'s wedding was {when} — we danced until 2am.", '{^when} {name} tied the knot, and I cried through the whole ceremony.'],
    questions: ["When was {name}'s wedding?", 'When did my cousin get married?', 'When was the marriage celebration I attended?'],
    distractors: ['What is a reasonable amount to spend on a wedding gift?'],
    replies: ['That sounds like a beautiful day.', 'Weddings are the best excuse to dance.'],
  },
  {
    key: 'purchase',
    draw: (d) => {
      const p = d.freshOf(PURCHASES, (x) => x.item);
      return { aItem: article(p.item), item: p.item, asked: p.asked };
    },
    statements: ['Bought {aItem} {when}[, I have wanted one for ages|].', '{^when} I splashed out on {aItem}. No regrets so far.'],
    questions: ['When did I buy the {item}?', 'When did I get my new {asked}?', 'What day did I buy the {asked}?'],
    distractors: ['Is it better to buy things like that second-hand?'],
    replies: ['Treat yourself! Enjoy it.', 'Good purchases are the ones you use every week.'],
  },
  {
    key: 'injury',
    draw: (d) => {
      const i = d.random.pick(INJURIES);
      return { injury: i.injury, base: i.base, asked: i.asked };
    },
    statements: ['I {injury} playing football {when}.', '{^when} I {injury} on the stairs, of all places.'],
    questions: ['When did I {base}?', 'When did I {asked}?', 'On what date did my accident happen?'],
    distractors: ['Should I use ice or heat on a sore muscle?'],
    replies: ['Ouch! Rest it and see a doctor if it does not improve.', 'I hope it heals quickly.'],
  },
  {
    key: 'exam',
    draw: (d) => {
      const e = d.freshOf(EXAMS, (x) => x.exam);
      return { exam: e.exam, asked: e.asked };
    },
    statements: ['Passed my {exam} {when}!!', '{^when} I sat the {exam} and passed first time.'],
    questions: ['When did I pass my {exam}?', 'When did I obtain my {asked}?', 'When did I get through that test?'],
    distractors: ['How do people stay calm before exams?'],
    replies: ['Congratulations, well deserved!', 'First time, impressive!'],
  },
  {
    key: 'parents-visit',
    draw: () => ({}),
    statements: ["My parents came to stay {when}, the flat still smells of my mum's cooking.", '{^when} Mum and Dad arrived for a visit and reorganised my kitchen.'],
    questions: ['When did my parents come to stay?', 'When did my folks come over?', 'When was the visit from my mother and father?'],
    distractors: ['How do I politely ask family to call before dropping by?'],
    replies: ['Family visits are lovely, even with the kitchen reorganised.', 'Sounds like you were well fed!'],
  },
  {
    key: 'class',
    draw: (d) => ({ hobby: d.fresh(HOBBIES) }),
    statements: ['Went to my first {hobby} class {when}[ and I am hooked|].', '{^when} I tried {hobby} for the first time — harder than it looks.'],
    questions: ['When was my first {hobby} class?', 'When did I start my new pastime?', 'On what day did I have my first {hobby} session?'],
    distractors: ['Are evening classes worth it for adults?'],
    replies: ['New hobbies are so refreshing.', 'Everyone starts somewhere, keep going!'],
  },
  {
    key: 'flu',
    draw: () => ({}),
    statements: ['Came down with a nasty flu {when}, still coughing.', '{^when} I woke up with a fever and spent the day in bed.'],
    questions: ['When did I have the flu?', 'When did I have a fever?', 'When did I get ill?', 'When was I unwell?'],
    distractors: ['Is it worth getting the seasonal vaccine?'],
    replies: ['Rest and fluids. Get well soon!', 'Sorry you are feeling rough.'],
  },
  {
    key: 'promotion',
    draw: () => ({}),
    statements: ['Got promoted to team lead {when}!', '{^when} my manager told me the promotion came through.'],
    questions: ['When did I get promoted?', 'When did my promotion come through?', 'When did I move up at work?', 'On what date did I advance in my career?'],
    distractors: ['How do I ask for a raise without sounding greedy?'],
    replies: ['Congratulations, that is well earned!', 'Fantastic news!'],
  },
];

export const MULTI_SESSION_KINDS: readonly MultiSessionKind[] = [
  {
    key: 'trips',
    draw: (d) => {
      const cities = [d.fresh(CITIES), d.fresh(CITIES), ...(d.random.chance(0.5) ? [d.fresh(CITIES)] : [])];
      return { parts: cities.map((city) => ({ city })), question: { answer: cities.join(', '), otherCity: d.fresh(CITIES) } };
    },
    parts: [['Just got back from my trip to {city}[ — the food was incredible|, still exhausted].', 'Spent a long weekend away in {city}, walked about twenty kilometres a day. Great trip.', '{city} was beautiful this time of year, I did not want the trip to end.']],
    questions: ['Which cities have I visited?', 'Where have I taken a trip to lately?', 'Which places have I travelled to recently?', 'Where have my journeys taken me lately?'],
    distractors: ['A friend keeps recommending {otherCity}, have you been?'],
    replies: ['Sounds like a wonderful trip!', 'Travel is the best way to recharge.'],
  },
  {
    key: 'instruments',
    draw: (d) => {
      const instruments = [d.fresh(INSTRUMENTS), d.fresh(INSTRUMENTS)];
      return { parts: instruments.map((instrument) => ({ instrument })), question: { answer: instruments.join(', '), otherInstrument: d.fresh(INSTRUMENTS) } };
    },
    parts: [['Started {instrument} lessons[ on Tuesdays|], my fingers hurt.', 'Bought a second-hand {instrument} online, practising scales every evening.']],
    questions: ['What instruments have I been practising?', 'Which music lessons am I taking?', 'Which musical instruments am I learning?', 'What do I play these days, musically?'],
    distractors: ['My neighbour plays the {otherInstrument} at midnight, what can I do?'],
    replies: ['Music lessons are so rewarding.', 'Scales are boring but they pay off.'],
  },
  {
    key: 'books',
    draw: (d) => {
      const titles = [d.fresh(BOOK_TITLES), d.fresh(BOOK_TITLES), ...(d.random.chance(0.5) ? [d.fresh(BOOK_TITLES)] : [])];
      return { parts: titles.map((title) => ({ title })), question: { answer: titles.join(', '), otherTitle: d.fresh(BOOK_TITLES) } };
    },
    parts: [['Finished {title} last night — could not put it down.', 'Halfway through {title} and it is brilliant so far.', 'Stayed up way too late reading {title}.']],
    questions: ['What books have I been reading?', 'Which novels have I been getting through lately?', 'What titles have I finished recently?'],
    distractors: ['Is {otherTitle} any good? Everyone at work is talking about it.'],
    replies: ['A book you cannot put down is the best feeling.', 'Good stories are worth the lost sleep.'],
  },
  {
    key: 'restaurants',
    draw: (d) => {
      const names = [d.fresh(RESTAURANTS), d.fresh(RESTAURANTS)];
      return { parts: names.map((restaurant) => ({ restaurant })), question: { answer: names.join(', '), otherRestaurant: d.fresh(RESTAURANTS) } };
    },
    parts: [['Had dinner at {restaurant} with friends, the dessert was unreal.', 'Tried {restaurant} for lunch — [booking again|a bit overpriced but tasty].']],
    questions: ['Which restaurants have I tried?', 'Where have I had dinner or lunch out?', 'Which eateries have I been to?', 'Where have I gone out to eat?'],
    distractors: ['Have you heard anything about {otherRestaurant}?'],
    replies: ['Sounds delicious!', 'Always nice to find a new favourite spot.'],
  },
  {
    key: 'sibling-pet',
    draw: (d) => {
      const sibling = d.random.pick(['sister', 'brother']);
      const pet = d.random.pick(PETS);
      const petName = d.fresh(PET_NAMES);
      const name = d.fresh(namesFor(sibling));
      const parts: Slots[] = [{ sibling, name, city: d.fresh(CITIES) }, { name, kind: pet.kind, petName }];
      return {
        parts,
        question: { sibling, asked: pet.asked, kind: pet.kind, answer: petName },
      };
    },
    parts: [['My {sibling} {name} lives in {city}, we speak every Sunday.', 'Helped my {sibling} {name} paint the living room at the weekend.'], ['{name} adopted a {kind} called {petName}, photos incoming.', 'Visited {name} — the new {kind}, {petName}, would not leave me alone.']],
    questions: ["What's the name of my {sibling}'s {kind}?", "What is my {sibling}'s {asked} called?", 'What name did my {sibling} give the new {asked}?'],
    distractors: ['Are {asked}s easy to look after for a first-time owner?'],
    replies: ['Weekly calls are a lovely habit.', 'How sweet, animals know who to trust.'],
  },
  {
    key: 'flatmate-job',
    draw: (d) => {
      const name = d.fresh(FIRST_NAMES);
      const job = d.freshOf(JOBS, (j) => j.job);
      const parts: Slots[] = [{ name }, { name, aJob: article(job.job), employer: d.fresh(EMPLOYERS) }];
      return { parts, question: { answer: job.job } };
    },
    parts: [['My old flatmate {name} from university is getting married next year!', 'Caught up with {name}, my flatmate for four years as students.'], ['{name} just got hired to work as {aJob} at {employer}!', 'Apparently {name} retrained and works as {aJob} now.']],
    questions: ['What does my old flatmate do for work now?', 'What does the person I used to live with at uni do for work now?', "What's my former roommate's profession?"],
    distractors: ['How do I stay in touch with friends from university?'],
    replies: ['University friends are the best.', 'Good for them!'],
  },
];

/** Opening lines of a session. */
export const GREETINGS: readonly Filler[] = [
  { draw: () => ({}), user: ['Hi again!', 'Hey, got a minute?', 'Morning!', 'Evening! Long day.', 'Hello, me again.'], assistant: ['Hi! What can I do for you today?', 'Hello! How can I help?', 'Good to see you. What is on your mind?'] },
];

const one = (user: string, assistant: string): Filler => ({ draw: () => ({}), user: [user], assistant: [assistant] });

/** Everyday requests and small talk, each with answers that fit every wording of it. */
export const FILLERS: readonly Filler[] = [
  {
    draw: (d) => {
      const [a, b] = d.random.sample(INGREDIENTS, 2);
      return { a, b };
    },
    user: ['Can you suggest a quick dinner with {a} and {b}?', 'I have {a} and {b} in the fridge, what can I make?'],
    assistant: ['Try a one-pan dish: fry the {a} with garlic, add the {b}, season well and serve with bread.', 'A quick stew works: {a}, {b}, stock and a pinch of cumin, 25 minutes.'],
  },
  one('Help me word an email to my landlord about the broken heating.', 'Of course. Here is a short, polite draft that states the problem, the date it started and asks for a repair date.'),
  one('Can you draft a polite complaint about a late delivery?', 'Sure — keep it factual, give the order number, and say what outcome you expect.'),
  { draw: (d) => ({ chore: d.random.pick(CHORES) }), user: ["What's the best way to clean {chore}?", 'I have been putting off cleaning {chore}, any shortcuts?'], assistant: ['Warm water, washing-up liquid and patience; a paste of baking soda helps with stubborn spots.', 'Do it in short bursts, ten minutes at a time, and it stops feeling like a chore.'] },
  { draw: (d) => ({ who: d.random.pick(GIFT_FOR) }), user: ['Any ideas for a present for {who}?'], assistant: ['Something personal works best: a framed photo, a voucher for an experience, or a book you loved.'] },
  { draw: (d) => ({ show: d.random.pick(TV_SHOWS) }), user: ['Watching {show} tonight, it is surprisingly good.', 'Just binged {show} in one weekend, oops.'], assistant: ['Nothing wrong with a good binge now and then!', 'Sounds like a great pick for a quiet evening.'] },
  { draw: (d) => ({ task: d.random.pick(WORK_TASKS) }), user: ['Can you help me structure {task}?', 'I need to write {task} by Friday, where do I start?'], assistant: ['Start with the one-sentence conclusion, then three sections that support it, then the details.', 'Outline first: purpose, key points, next steps. Filling it in is then much quicker.'] },
  { draw: (d) => ({ skill: d.random.pick(SKILLS) }), user: ['How do I get better at {skill}?'], assistant: ['Little and often: fifteen minutes a day beats a long session once a week.'] },
  { draw: () => ({}), user: ['It has been raining all week, I am going stir crazy.', 'The weather is grim again.'], assistant: ['A brisk walk between showers can help, or a good film and a blanket.', 'Grey weeks are hard. Is there something cosy planned for the weekend?'] },
  {
    draw: (d) => {
      const miles = d.random.int(2, 60);
      return { miles: String(miles), km: String(Math.round(miles * 1.609)) };
    },
    user: ['How many kilometres is {miles} miles?'],
    assistant: ['About {km} kilometres.'],
  },
  {
    draw: (d) => {
      const celsius = 5 * d.random.int(20, 50);
      return { c: String(celsius), f: String(Math.round((celsius * 9) / 5 + 32)) };
    },
    user: ['What is {c} Celsius in Fahrenheit?', 'My recipe says {c}°C, what is that in Fahrenheit?'],
    assistant: ['{f} Fahrenheit.', 'That is {f}°F.'],
  },
  {
    draw: (d) => {
      const a = d.random.int(12, 99);
      const b = d.random.int(3, 19);
      return { a: String(a), b: String(b), product: String(a * b) };
    },
    user: ['Quick maths: what is {a} times {b}?'],
    assistant: ['{product}.'],
  },
  one("What's the difference between baking soda and baking powder?", 'Baking powder already contains an acid; baking soda needs one in the recipe, like yoghurt or lemon juice.'),
  { draw: () => ({}), user: ["I couldn't sleep last night, any tips?", 'Why do I always wake up at 4am?'], assistant: ['Keep the same wake-up time every day, avoid screens late, and keep the room cool and dark.', 'Stress and late caffeine are common causes. A wind-down routine helps.'] },
  { draw: (d) => ({ subject: d.random.pick(['autumn', 'the sea', 'Monday mornings', 'a lost sock', 'snow', 'the first coffee of the day']) }), user: ['Write a short poem about {subject}.', 'Give me a haiku about {subject}.'], assistant: ['Here is a short one — a few quiet lines about {subject}, with a twist at the end.'] },
  one("What's a polite way to decline an invitation?", 'Thank them warmly, say you cannot make it without over-explaining, and suggest another time if you mean it.'),
  one('How long should I boil an egg for a runny yolk?', 'About six minutes from boiling for a large egg, then straight into cold water.'),
  {
    draw: (d) => ({ topic: d.random.pick(['an index fund', 'compound interest', 'inflation', 'how vaccines work', 'the offside rule', 'a black hole', 'photosynthesis', 'jet lag', 'a mortgage offset account']) }),
    user: ['Can you explain {topic} in simple terms?', 'What is {topic}, in a nutshell?'],
    assistant: ['Here is the short version, with an everyday example to make it stick.', 'In a nutshell: think of it like a savings jar that keeps changing size — here is how.'],
  },
  { draw: (d) => ({ work: d.random.pick(['Hamlet', 'Pride and Prejudice', 'The Odyssey', 'Macbeth', 'Moby-Dick']) }), user: ['Summarise the plot of {work} in three sentences.'], assistant: ['Three sentences, no spoilers beyond the famous ones: the setup, the turn, and how it ends.'] },
  one('Is it worth getting a standing desk?', 'It helps some people, mostly by making them change position more often. Alternating is what matters.'),
  { draw: () => ({}), user: ['Thanks, that was really helpful!', 'Perfect, thank you.'], assistant: ['Glad to help!', 'Any time.'] },
  { draw: () => ({}), user: ['Tell me a fun fact.', 'Give me something interesting to think about.'], assistant: ['Octopuses have three hearts and blue blood.', 'Honey found in ancient tombs is still edible.'] },
  { draw: () => ({}), user: ['How do I stop procrastinating?', 'I keep putting things off, help.'], assistant: ['Make the first step tiny and start a timer for five minutes; momentum does the rest.'] },
  one('What houseplants are hard to kill?', 'Snake plants, pothos and ZZ plants survive almost anything, including forgetful watering.'),
  { draw: (d) => ({ plant: d.random.pick(['basil', 'an orchid', 'a fiddle-leaf fig', 'a cactus', 'mint', 'a peace lily']) }), user: ['How do I keep {plant} alive?'], assistant: ['Bright indirect light, and water only when the top of the soil is dry.'] },
  { draw: (d) => ({ minutes: d.random.pick(['ten', 'fifteen', 'twenty', 'thirty']) }), user: ['Give me a {minutes}-minute workout I can do at home.', 'I have {minutes} minutes, what exercise can I do in the living room?'], assistant: ['Circuits: squats, press-ups, lunges, plank, repeat with short rests.', 'Try intervals: forty seconds on, twenty off, alternating legs and arms.'] },
  one('What should I pack for a rainy weekend away?', 'Layers, a waterproof jacket, shoes that dry quickly and a good book for the wet afternoons.'),
  one('Is it too late to plant bulbs?', 'Most bulbs can go in until the ground freezes.'),
  one('When should I prune roses?', 'Late winter, just as the buds begin to swell.'),
  { draw: (d) => ({ genre: d.random.pick(['thriller', 'comedy', 'animated', 'sci-fi', 'feel-good', 'documentary']) }), user: ["What's a good {genre} film for tonight?", 'Recommend a {genre} film, please.'], assistant: ['A classic from the nineties would do it; want a few options with running times?'] },
  {
    draw: (d) => ({ phrase: d.random.pick(['good morning', 'thank you very much', 'where is the station', 'the bill, please', 'nice to meet you']), language: d.random.pick(LANGUAGES) }),
    user: ["How do you say '{phrase}' in {language}?"],
    assistant: ['Here you go, with a rough guide to the pronunciation.'],
  },
  { draw: (d) => ({ meeting: d.random.pick(["a parents' evening", 'a mortgage appointment', 'a first therapy session', 'a performance review']) }), user: ['What should I ask at {meeting}?'], assistant: ['Write down your three biggest questions beforehand, and ask what happens next.'] },
  { draw: (d) => ({ chore: d.random.pick(['call the bank', 'book a haircut', 'return the library books', 'pay the electricity bill', 'renew my passport']) }), user: ['Remind me to {chore} tomorrow.'], assistant: ['I cannot set reminders myself, but putting it in your phone calendar right now will do it.'] },
  { draw: (d) => ({ problem: d.random.pick(['a dripping tap', 'a squeaky door', 'a slow laptop', 'a wobbly table', 'a blocked sink']) }), user: ['How do I fix {problem}?'], assistant: ['Start with the simplest cause first; here are the three usual culprits and how to check each.'] },
  { draw: (d) => ({ food: d.random.pick(['dark chocolate', 'peanut butter', 'granola', 'oat milk', 'sparkling water', 'popcorn']) }), user: ['Is {food} actually healthy?'], assistant: ['In moderation, yes — check the label for added sugar and salt.'] },
  { draw: (d) => ({ word: d.random.pick(['orange', 'garden', 'Tuesday', 'window', 'silver']) }), user: ['What rhymes with {word}?'], assistant: ['Not much, famously! Near rhymes work better in songs anyway.'] },
  one('How do I say no to extra work politely?', 'Say what you are working on now and ask which should move if the new task comes first.'),
  one("I'm bored. Any ideas?", 'A walk somewhere new, a recipe you have never tried, or calling someone you have not spoken to in a while.'),
  { draw: (d) => ({ days: d.random.pick(['two', 'three', 'four']), city: d.random.pick(CITIES) }), user: ['Help me plan {days} days in {city}.'], assistant: ['Day one: the old town on foot; day two: a museum and a long lunch; keep the last one free for wandering.'] },
  { draw: (d) => ({ thing: d.random.pick(['book club', 'five-a-side team', 'sourdough starter', 'wifi network', 'family group chat']) }), user: ['Suggest a funny name for our {thing}.'], assistant: ['A few to choose from, from mildly silly to truly terrible.'] },
  { draw: () => ({}), user: ['Good morning! Busy day ahead.', 'Long week, glad it is nearly over.'], assistant: ['Good luck with it all!', 'You are nearly there. Anything I can take off your plate?'] },
];

/** Around a planted statement, sometimes: the user rarely states a fact in a sentence of its own. */
export const LEAD_INS: readonly string[] = ['', '', '', '', '', 'Quick update. ', 'So much going on lately. ', 'Hope you are well! ', 'Okay, news. ', 'Random thing. ', 'Hi! ', 'Sorry, off topic. ', 'Where to start. '];
export const TAILS: readonly string[] = ['', '', '', '', '', ' Anyway, how is your day?', ' Just thought I would mention it.', ' Sorry, rambling!', ' Life, eh.', ' What do you think?', ' Not much else to report.'];

/** The assistant's answers to distractors and other asides: helpful, naming nothing. */
export const GENERIC_REPLIES: readonly string[] = [
  'Good question. It depends on your situation, but a little research into local options is a good start.',
  'Happy to help think it through. What matters most to you here?',
  'There is no single right answer; it comes down to budget, time and how much you enjoy it.',
  'Usually yes, in moderation. If in doubt, ask someone who does it every day.',
  'That is a common worry, and most people find it easier than they expect.',
  'Ha, I can see why. Do you want me to look into it with you?',
  'Fair enough! It is worth keeping an open mind though.',
  'Interesting. Tell me more whenever you like.',
];
