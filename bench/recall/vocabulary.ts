/**
 * The values the generator plants: names, places, things. Invented or generic (no real person's
 * data); real city and brand names only where a made-up one would read oddly. Pools are large
 * enough that two facts of one user never need the same value.
 */

/** Split so that a sister, a wife or a daughter gets a name people would expect; friends and colleagues take either. */
export const WOMEN_NAMES = [
  'Amara', 'Chloé', 'Esther', 'Greta', 'Ingrid', 'Kavya', 'Mei', 'Nadia', 'Priya', 'Rosa', 'Tamsin', 'Valentina', 'Ximena', 'Zofia',
  'Beatriz', 'Daria', 'Fiona', 'Hana', 'Jana', 'Leila', 'Noor', 'Olivia', 'Rania', 'Thandiwe', 'Vera', 'Yara', 'Zeynep', 'Brigid',
  'Delphine', 'Elif', 'Hedda', 'Ilse',
];
export const MEN_NAMES = [
  'Bruno', 'Dmitri', 'Farid', 'Hiroshi', 'Joaquín', 'Lars', 'Oskar', 'Quentin', 'Samir', 'Ulrich', 'Wei', 'Yusuf', 'Aiden', 'Callum',
  'Emeka', 'Gustavo', 'Ibrahim', 'Kofi', 'Mateo', 'Pavel', 'Sven', 'Umar', 'Wiremu', 'Anton', 'Cyrus', 'Florin', 'Gabriel', 'Jonah',
];
export const FIRST_NAMES = [...WOMEN_NAMES, ...MEN_NAMES];

export const SURNAMES = [
  'Okafor', 'Lindqvist', 'Moreau', 'Tanaka', 'Fischer', 'Haddad', 'Novak', 'Brennan', 'Castillo', 'Iyer', 'Kowalski',
  'Mensah', 'Petrov', 'Quinn', 'Rossi', 'Santos', 'Takahashi', 'Varga', 'Walsh', 'Yilmaz', 'Zhou', 'Abbott', 'Delgado',
];

export const PET_NAMES = [
  'Biscuit', 'Pepper', 'Mochi', 'Juniper', 'Waffles', 'Pickle', 'Ziggy', 'Noodle', 'Olive', 'Bramble', 'Tofu', 'Clementine',
  'Pretzel', 'Hazel', 'Rocket', 'Marmalade', 'Gizmo', 'Basil', 'Luna', 'Figaro', 'Nutmeg', 'Sprout', 'Cinder', 'Truffle',
];

/** A pet as said (`kind`) and as asked about (`asked`): the question never reuses the word. */
export const PETS = [
  { kind: 'puppy', asked: 'dog' },
  { kind: 'dog', asked: 'pup' },
  { kind: 'kitten', asked: 'cat' },
  { kind: 'cat', asked: 'kitty' },
  { kind: 'rabbit', asked: 'bunny' },
  { kind: 'parrot', asked: 'bird' },
  { kind: 'tortoise', asked: 'reptile' },
  { kind: 'hamster', asked: 'rodent' },
] as const;

export const CITIES = [
  'Lisbon', 'Rotterdam', 'Kraków', 'Valencia', 'Montreal', 'Porto', 'Ljubljana', 'Seville', 'Gothenburg', 'Edinburgh',
  'Bologna', 'Tallinn', 'Lyon', 'Leipzig', 'Bergen', 'Cork', 'Brno', 'Graz', 'Malmö', 'Nantes', 'Thessaloniki',
  'Kyoto', 'Busan', 'Hobart', 'Wellington', 'Oaxaca', 'Cusco', 'Marrakesh', 'Zanzibar', 'Hanoi', 'Tbilisi', 'Bruges',
  'Dubrovnik', 'Salzburg', 'Galway', 'Trieste', 'Aarhus', 'Vilnius', 'Quebec City', 'Halifax', 'Savannah', 'Asheville',
];

/** A job as said, and where one does it. */
export const JOBS = [
  { job: 'pharmacist', place: 'the pharmacy on the high street' },
  { job: 'primary school teacher', place: 'the school' },
  { job: 'physiotherapist', place: 'the sports clinic' },
  { job: 'structural engineer', place: 'the engineering firm' },
  { job: 'paramedic', place: 'the ambulance station' },
  { job: 'pastry chef', place: 'the bakery' },
  { job: 'data analyst', place: 'the insurance company' },
  { job: 'veterinary nurse', place: 'the animal hospital' },
  { job: 'air traffic controller', place: 'the airport' },
  { job: 'landscape architect', place: 'the design studio' },
  { job: 'court interpreter', place: 'the courthouse' },
  { job: 'sound engineer', place: 'the recording studio' },
  { job: 'midwife', place: 'the maternity ward' },
  { job: 'park ranger', place: 'the national park' },
  { job: 'translator', place: 'the publishing house' },
  { job: 'electrician', place: 'the building site' },
];

export const EMPLOYERS = [
  'Northwind Logistics', 'Bluefern Health', 'Corvid Analytics', 'Harbourline Ferries', 'Quillstone Publishing', 'Tidewater Energy',
  'Amberlight Games', 'Greyhollow Bank', 'Lumen Robotics', 'Saltmarsh Foods', 'Kestrel Aviation', 'Orchard Lane Studios',
];

export const DISHES = [
  'ramen', 'mushroom risotto', 'pad thai', 'shakshuka', 'pierogi', 'lamb tagine', 'bibimbap', 'paella', 'butter chicken',
  'pho', 'moussaka', 'fish tacos', 'gnocchi with sage butter', 'jollof rice', 'katsu curry', 'spanakopita', 'ceviche',
];

export const ALLERGENS = ['peanuts', 'shellfish', 'sesame', 'kiwi fruit', 'gluten', 'tree nuts', 'eggs', 'soy', 'celery', 'mustard seeds'];

export const CARS = [
  'Skoda Octavia', 'Honda Jazz', 'Volvo V60', 'Mazda MX-5', 'Kia Niro', 'Toyota Yaris', 'Renault Zoe', 'Subaru Outback',
  'Fiat Panda', 'Hyundai Ioniq', 'Peugeot 308', 'Tesla Model 3', 'Ford Fiesta', 'Nissan Leaf', 'Volkswagen Golf',
];
export const COLOURS = ['red', 'dark green', 'silver', 'navy blue', 'white', 'mustard yellow', 'black', 'pale grey', 'burgundy'];

export const LANGUAGES = ['Portuguese', 'Japanese', 'Italian', 'Korean', 'Dutch', 'Greek', 'Turkish', 'Swahili', 'Polish', 'Mandarin', 'Arabic', 'Norwegian'];

export const SPORTS = ['five-a-side football', 'badminton', 'volleyball', 'table tennis', 'water polo', 'squash', 'ultimate frisbee', 'basketball', 'netball', 'padel'];

export const AUTHORS = ['Ursula Le Guin', 'Kazuo Ishiguro', 'Toni Morrison', 'Terry Pratchett', 'Chimamanda Ngozi Adichie', 'Haruki Murakami', 'Agatha Christie', 'Octavia Butler', 'Italo Calvino', 'Elena Ferrante'];

export const BOOK_TITLES = [
  'The Salt Orchard', 'A Map of Quiet Rivers', 'Nine Lanterns', 'The Glass Cartographer', 'Winter in Aldermoor', 'The Long Tide',
  'Small Gods of the Harbour', 'The Clockmaker’s Daughter', 'Ashes Over Ithaca', 'The Paper Garden', 'Letters from the Fjord',
  'The Last Lighthouse Keeper', 'Copper Sky', 'The Weight of Feathers', 'A Season of Hollow Bells',
];

export const INSTRUMENTS = ['piano', 'cello', 'ukulele', 'drums', 'saxophone', 'violin', 'banjo', 'trumpet', 'harp', 'accordion', 'bass guitar', 'flute'];

export const RESTAURANTS = ['Casa Lupita', 'The Copper Pot', 'Sakura Garden', 'Trattoria Nonna Pia', 'The Hungry Heron', 'Le Petit Zinc', 'Mumbai Junction', 'The Fig Tree', 'Bao House', 'El Faro', 'The Olive Press', 'Smokestack BBQ'];

export const BANDS = ['The Velvet Hours', 'Paper Satellites', 'Moonwake', 'The Driftwood Choir', 'Neon Orchard', 'Harbour Lights', 'Static Bloom', 'The Amber Foxes'];

export const HOBBIES = ['pottery', 'bouldering', 'salsa dancing', 'life drawing', 'beekeeping', 'archery', 'woodcarving', 'sourdough baking', 'stand-up paddleboarding', 'calligraphy'];

export const DRINKS = ['oat flat white', 'double espresso', 'chai latte', 'cortado', 'iced americano', 'matcha latte', 'cappuccino with cinnamon'];

export const EXAMS = [
  { exam: 'driving test', asked: 'licence to drive' },
  { exam: 'accountancy exam', asked: 'finance certification' },
  { exam: 'scuba diving course', asked: 'diving qualification' },
  { exam: 'first aid course', asked: 'life-saving certificate' },
  { exam: 'sommelier exam', asked: 'wine qualification' },
  { exam: 'citizenship test', asked: 'naturalisation assessment' },
];

export const PURCHASES = [
  { item: 'road bike', asked: 'bicycle' },
  { item: 'espresso machine', asked: 'coffee maker' },
  { item: 'sofa', asked: 'couch' },
  { item: 'laptop', asked: 'computer' },
  { item: 'tent', asked: 'camping shelter' },
  { item: 'telescope', asked: 'stargazing gear' },
  { item: 'sewing machine', asked: 'machine for stitching' },
  { item: 'kayak', asked: 'boat' },
];

export const INJURIES = [
  { injury: 'sprained my ankle', base: 'sprain my ankle', asked: 'hurt my foot' },
  { injury: 'cracked a rib', base: 'crack a rib', asked: 'injure my chest' },
  { injury: 'pulled a hamstring', base: 'pull a hamstring', asked: 'strain my leg' },
  { injury: 'dislocated my finger', base: 'dislocate my finger', asked: 'hurt my hand' },
  { injury: 'tweaked my lower back', base: 'tweak my lower back', asked: 'damage my spine' },
];

/** Everyday subjects of the filler exchanges: things people ask an assistant about. */
export const INGREDIENTS = ['chickpeas', 'leftover rice', 'spinach', 'sweet potatoes', 'feta', 'lentils', 'courgettes', 'tinned tomatoes', 'halloumi', 'cauliflower'];
export const TV_SHOWS = ['a Scandinavian crime drama', 'a baking competition', 'a documentary about octopuses', 'a period drama', 'a sitcom about a hotel'];
export const CHORES = ['the gutters', 'the oven', 'the garage', 'the bathroom grout', 'the windows', 'the fridge'];
export const GIFT_FOR = ['my nephew who is turning ten', 'a colleague who is retiring', 'my neighbour who watered my plants', 'a friend who just had a baby', 'my grandmother'];
export const WORK_TASKS = ['a quarterly report', 'a grant application', 'a presentation for the board', 'a performance review', 'a project proposal', 'meeting minutes'];
export const SKILLS = ['touch typing', 'spreadsheet formulas', 'public speaking', 'basic photography', 'meditation', 'negotiating a raise'];
