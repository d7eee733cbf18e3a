/**
 * The fixed sentence set of bench:voices: what an assistant says (times,
 * dates, numbers, names, commands, questions), written as it is spoken, the
 * way the speech stage receives text. `heard` is the word sequence a
 * listener should hear when it differs from the written text (digits,
 * symbols); otherwise the text itself, normalised, is the reference.
 */
export interface VoiceSentence {
  text: string;
  heard?: string;
}

export const VOICE_SENTENCES: readonly VoiceSentence[] = [
  // times
  { text: "What time is it?" },
  { text: "It is ten thirty in the morning." },
  { text: "It is a quarter past seven." },
  { text: "Your alarm is set for six forty five tomorrow morning." },
  { text: "The train leaves at nine fifteen tonight." },
  { text: "Set a timer for ten minutes." },
  { text: "Your timer has five minutes left." },
  // dates
  { text: "Today is Monday, the fourth of March." },
  { text: "Your dentist appointment is on Friday afternoon." },
  { text: "The meeting was moved to next Tuesday." },
  { text: "Christmas is on the twenty fifth of December." },
  { text: "My birthday is in the middle of July." },
  // numbers
  { text: "What is twelve times seven?" },
  { text: "Twelve times seven is eighty four." },
  { text: "The answer is 84.", heard: "the answer is eighty four" },
  { text: "It is 21 degrees outside.", heard: "it is twenty one degrees outside" },
  { text: "One hundred and twenty people have signed up." },
  { text: "Your account has three new messages." },
  { text: "The package weighs two and a half kilograms." },
  { text: "There are 365 days in a year.", heard: "there are three hundred sixty five days in a year" },
  // names
  { text: "I sent the message to Sarah." },
  { text: "Call John on his mobile phone." },
  { text: "Michael said he will be late for dinner." },
  { text: "Remind Emma to bring the tickets." },
  { text: "The next song is by David Bowie." },
  // commands and confirmations
  { text: "Turn off the lights in the kitchen." },
  { text: "Play some music in the living room." },
  { text: "Okay, I'll remember that your favourite colour is green." },
  { text: "I have added milk to your shopping list." },
  { text: "Your reminder has been cancelled." },
  { text: "I turned the volume down." },
  { text: "Sure, I will wake you up at seven." },
  { text: "The lights are now off." },
  { text: "Sorry, I did not catch that." },
  // questions
  { text: "Would you like me to play some music?" },
  { text: "Do you want me to read it again?" },
  { text: "Should I call her now?" },
  { text: "How can I help you today?" },
  { text: "What would you like to eat tonight?" },
  { text: "Where should I send the message?" },
  // answers
  { text: "It will be sunny and warm this afternoon." },
  { text: "There is a small chance of rain tomorrow." },
  { text: "The capital of France is Paris." },
  { text: "Good morning, here is the news." },
  { text: "Hello, how are you?" },
];

/** British and American spellings, and other spellings of one word, that are not errors. */
const SPELLING_VARIANTS: Record<string, string> = {
  colour: "color",
  favourite: "favorite",
  cancelled: "canceled",
  centre: "center",
  theatre: "theater",
  metre: "meter",
  kilometres: "kilometers",
  kilogrammes: "kilograms",
  organise: "organize",
  realise: "realize",
  grey: "gray",
  ok: "okay",
  alright: "all right",
};

/** Contractions and their long forms are the same words to a listener. */
const CONTRACTIONS: Record<string, string> = {
  "i'll": "i will",
  "i'm": "i am",
  "i've": "i have",
  "i'd": "i would",
  "you'll": "you will",
  "you're": "you are",
  "it's": "it is",
  "that's": "that is",
  "what's": "what is",
  "here's": "here is",
  "there's": "there is",
  "today's": "today is",
  "don't": "do not",
  "didn't": "did not",
  "can't": "cannot",
  "won't": "will not",
  "let's": "let us",
};

/**
 * The words of `text` for scoring: lower case, punctuation and hyphens
 * removed (apostrophes inside words kept), spelling variants and
 * contractions folded.
 * @example normaliseWords("Okay, your favourite colour!") // ["okay", "your", "favorite", "color"]
 */
export function normaliseWords(text: string): string[] {
  return text
    .toLowerCase()
    .replace(/[-‐–—]/g, " ")
    .replace(/[^a-z0-9' ]/g, " ")
    .split(/\s+/)
    .map((w) => w.replace(/^'+|'+$/g, ""))
    .filter((w) => w !== "")
    .flatMap((w) => (CONTRACTIONS[w] ?? SPELLING_VARIANTS[w] ?? w).split(" "));
}

/** Word-level edit distance (substitutions, insertions, deletions). */
export function wordErrors(reference: readonly string[], hypothesis: readonly string[]): number {
  let previous = Array.from({ length: hypothesis.length + 1 }, (_, j) => j);
  for (let i = 1; i <= reference.length; i++) {
    const row = [i];
    for (let j = 1; j <= hypothesis.length; j++) {
      const cost = reference[i - 1] === hypothesis[j - 1] ? 0 : 1;
      row.push(Math.min(previous[j]! + 1, row[j - 1]! + 1, previous[j - 1]! + cost));
    }
    previous = row;
  }
  return previous[hypothesis.length]!;
}

/** The reference words of one sentence. */
export function referenceWords(sentence: VoiceSentence): string[] {
  return normaliseWords(sentence.heard ?? sentence.text);
}
