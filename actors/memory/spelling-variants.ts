/**
 * British and American spellings of the same word, so that recall finds
 * "favourite colour" when asked about a "favorite color". FTS5's porter
 * stemmer already joins plurals and tenses (plans, planned, planning ->
 * plan) but not spellings (favourit / favorit). A word that starts with
 * one spelling of a listed stem also matches the other; the list is
 * explicit (no blanket "our" -> "or" rule, which would turn "four" into
 * the stopword "for").
 */

/** [British, American] stems; a word starting with either gets the other too. */
const PAIRS: readonly (readonly [string, string])[] = [
  // -our / -or
  ["colour", "color"], ["favour", "favor"], ["flavour", "flavor"], ["honour", "honor"], ["humour", "humor"],
  ["labour", "labor"], ["neighbour", "neighbor"], ["behaviour", "behavior"], ["harbour", "harbor"], ["rumour", "rumor"],
  ["savour", "savor"], ["vapour", "vapor"], ["armour", "armor"], ["odour", "odor"], ["parlour", "parlor"],
  ["vigour", "vigor"], ["endeavour", "endeavor"], ["splendour", "splendor"],
  // -re / -er
  ["centre", "center"], ["theatre", "theater"], ["metre", "meter"], ["litre", "liter"], ["fibre", "fiber"],
  ["calibre", "caliber"], ["sabre", "saber"], ["spectre", "specter"], ["lustre", "luster"], ["sombre", "somber"],
  // -ise / -ize, -yse / -yze
  ["organis", "organiz"], ["realis", "realiz"], ["recognis", "recogniz"], ["apologis", "apologiz"], ["memoris", "memoriz"],
  ["prioritis", "prioritiz"], ["categoris", "categoriz"], ["minimis", "minimiz"], ["maximis", "maximiz"],
  ["customis", "customiz"], ["personalis", "personaliz"], ["summaris", "summariz"], ["criticis", "criticiz"],
  ["specialis", "specializ"], ["finalis", "finaliz"], ["authoris", "authoriz"], ["visualis", "visualiz"],
  ["utilis", "utiliz"], ["emphasis", "emphasiz"], ["analys", "analyz"], ["paralys", "paralyz"],
  // -ogue / -og, -ence / -ense
  ["catalogue", "catalog"], ["dialogue", "dialog"], ["defence", "defense"], ["licence", "license"], ["offence", "offense"],
  // doubled l
  ["travell", "travel"], ["cancell", "cancel"], ["labell", "label"], ["modell", "model"], ["jewellery", "jewelry"],
  ["fulfil", "fulfill"], ["enrol", "enroll"], ["skilful", "skillful"],
  // single words
  ["grey", "gray"], ["mum", "mom"], ["tyre", "tire"], ["aeroplane", "airplane"], ["aluminium", "aluminum"],
  ["pyjama", "pajama"], ["mould", "mold"], ["plough", "plow"], ["cosy", "cozy"], ["sceptic", "skeptic"],
  ["ageing", "aging"], ["programme", "program"], ["doughnut", "donut"], ["maths", "math"], ["moustache", "mustache"],
];

/**
 * `word` (lower case) and its other spellings, `word` first.
 * @example spellingVariants("favourites") // ["favourites", "favorites"]
 */
export function spellingVariants(word: string): string[] {
  const out = [word];
  for (const [gb, us] of PAIRS) {
    // The longer stem is tried first where one spelling is a prefix of the other (travell / travel).
    const [long, short] = gb.length >= us.length ? [gb, us] : [us, gb];
    if (word.startsWith(long)) out.push(short + word.slice(long.length));
    else if (word.startsWith(short)) out.push(long + word.slice(short.length));
  }
  return [...new Set(out)];
}
