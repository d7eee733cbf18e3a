/**
 * Speakable text: rewrites what a model writes into what a person would say
 * aloud, before it goes to a speech synthesiser. Symbols between numbers
 * (`12 * 7`, `2 ^ 10`, `3 = 3`), percentages, decimals, negative numbers,
 * currency, units, times, ISO dates, URLs and e-mail addresses become words;
 * numbers themselves stay digits (every synthesiser reads "84" well, and the
 * wording of numbers is the voice's business, language by language).
 *
 * Only the spoken form changes: `llm_result`, the conversation and the
 * dashboard keep the model's text; `tts_progress.spoken` shows this form.
 * Pure and synchronous. English wording.
 *
 * @example
 * toSpeakable("12 * 7 is 84.") // "12 times 7 is 84."
 * toSpeakable("Mail jo@example.com") // "Mail jo at example dot com"
 */

const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];

/** A number as written: optional thousands commas, optional decimals. */
const NUM = String.raw`\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?`;

/**
 * Units after a number: [written form, singular, plural, tight]. Tight units
 * (one letter) count only when written against the number ("5m", "10s"):
 * "5 m" could be anything, "5 s" too. Longest first where one is a prefix of another.
 */
const UNITS: [string, string, string, boolean][] = [
  ["km/h", "kilometre per hour", "kilometres per hour", false],
  ["m/s", "metre per second", "metres per second", false],
  ["mph", "mile per hour", "miles per hour", false],
  ["°C", "degree Celsius", "degrees Celsius", false],
  ["°F", "degree Fahrenheit", "degrees Fahrenheit", false],
  ["°", "degree", "degrees", false],
  ["km", "kilometre", "kilometres", false],
  ["cm", "centimetre", "centimetres", false],
  ["mm", "millimetre", "millimetres", false],
  ["kg", "kilogram", "kilograms", false],
  ["mg", "milligram", "milligrams", false],
  ["ml", "millilitre", "millilitres", false],
  ["GB", "gigabyte", "gigabytes", false],
  ["MB", "megabyte", "megabytes", false],
  ["KB", "kilobyte", "kilobytes", false],
  ["TB", "terabyte", "terabytes", false],
  ["GHz", "gigahertz", "gigahertz", false],
  ["MHz", "megahertz", "megahertz", false],
  ["kHz", "kilohertz", "kilohertz", false],
  ["Hz", "hertz", "hertz", false],
  ["ms", "millisecond", "milliseconds", false],
  ["kW", "kilowatt", "kilowatts", false],
  ["lbs", "pounds", "pounds", false],
  ["lb", "pound", "pounds", false],
  ["oz", "ounce", "ounces", false],
  ["ft", "foot", "feet", false],
  ["m", "metre", "metres", true],
  ["g", "gram", "grams", true],
  ["l", "litre", "litres", true],
  ["L", "litre", "litres", true],
  ["s", "second", "seconds", true],
  ["h", "hour", "hours", true],
];

/** Currency symbols before a number: [unit singular, plural, cents singular, plural]. */
const CURRENCIES: Record<string, [string, string, string, string]> = {
  $: ["dollar", "dollars", "cent", "cents"],
  "€": ["euro", "euros", "cent", "cents"],
  "£": ["pound", "pounds", "penny", "pence"],
  "¥": ["yen", "yen", "", ""],
  "₹": ["rupee", "rupees", "paisa", "paise"],
};

/** Binary operators between two numbers. */
const OPERATORS: Record<string, string> = {
  "*": "times",
  "×": "times",
  x: "times",
  "·": "times",
  "/": "divided by",
  "÷": "divided by",
  "^": "to the power of",
  "+": "plus",
  "-": "minus",
  "−": "minus",
  "=": "equals",
  "≈": "is about",
  "<": "is less than",
  ">": "is greater than",
  "≤": "is at most",
  "≥": "is at least",
};

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");

/** "1,234.5" -> "1234 point 5"; commas dropped, each decimal digit said on its own. */
function sayNumber(written: string): string {
  const plain = written.replace(/,/g, "");
  const [whole, decimals] = plain.split(".");
  return decimals === undefined ? whole! : `${whole} point ${decimals.split("").join(" ")}`;
}

const isOne = (written: string) => written.replace(/,/g, "") === "1";

function sayUrl(url: string): string {
  const body = url.replace(/^[a-z][a-z0-9+.-]*:\/\//i, "").replace(/^www\./i, "www dot ").replace(/\/$/, "");
  return body
    .replace(/\./g, " dot ")
    .replace(/\//g, " slash ")
    .replace(/-/g, " dash ")
    .replace(/_/g, " underscore ")
    .replace(/[?]/g, " question mark ")
    .replace(/=/g, " equals ")
    .replace(/&/g, " and ")
    .replace(/#/g, " hash ")
    .replace(/:/g, " colon ")
    .replace(/\s+/g, " ")
    .trim();
}

function sayTime(h: string, m: string, suffix: string | undefined): string {
  const hour = String(Number(h));
  const ampm = suffix ? ` ${suffix.replace(/\./g, "").toUpperCase().split("").join(" ")}` : "";
  if (m === "00") return suffix ? `${hour}${ampm}` : `${hour} o'clock`;
  const minutes = m.startsWith("0") ? `oh ${m[1]}` : m;
  return `${hour} ${minutes}${ampm}`;
}

/** A rewriting rule: the replacer gets the whole match, then the groups (undefined when a group did not take part). */
type Rule = [RegExp, (all: string, ...groups: (string | undefined)[]) => string];

const CURRENCY_ALT = Object.keys(CURRENCIES).map(escape).join("|");
const OP_ALT = Object.keys(OPERATORS).map(escape).join("|");
const LOOSE_UNITS = UNITS.filter((u) => !u[3]).map(([u]) => escape(u)).join("|");
const TIGHT_UNITS = UNITS.filter((u) => u[3]).map(([u]) => escape(u)).join("|");

function sayUnit(n: string, unit: string): string {
  const [, one, many] = UNITS.find(([u]) => u === unit)!;
  return `${sayNumber(n)} ${isOne(n) ? one : many}`;
}

function sayDate(all: string, y: string, m: string, d: string): string {
  const month = MONTHS[Number(m) - 1];
  return month && Number(d) >= 1 && Number(d) <= 31 ? `${month} ${Number(d)}, ${y}` : all;
}

function sayMoney(minus: string | undefined, symbol: string, amount: string, scale: string | undefined): string {
  const [one, many, cent, cents] = CURRENCIES[symbol]!;
  const sign = minus ? "minus " : "";
  if (scale) return `${sign}${sayNumber(amount)} ${scale === "k" ? "thousand" : scale} ${many}`;
  const [whole, frac] = amount.replace(/,/g, "").split(".");
  const main = `${whole} ${whole === "1" ? one : many}`;
  if (frac === undefined) return sign + main;
  if (!cent) return `${sign}${sayNumber(amount)} ${many}`;
  const c = Number(frac.padEnd(2, "0").slice(0, 2));
  return c === 0 ? sign + main : `${sign}${main} ${c} ${c === 1 ? cent : cents}`;
}

/**
 * The rewriting rules, applied in order over the whole text. Order matters:
 * addresses before anything that would split their dots, dates and times
 * before operators (a date's dashes are not minus signs), currency and units
 * before the operators that could sit next to them.
 */
const RULES: Rule[] = [
  // e-mail addresses
  [/\b([\w.+-]+)@([a-z0-9-]+(?:\.[a-z0-9-]+)+)\b/gi, (_all, user, domain) => `${sayUrl(user!)} at ${sayUrl(domain!)}`],
  // URLs with a scheme or www.
  [/\b(?:https?:\/\/|www\.)[^\s<>"')\]]*[^\s<>"')\].,!?;:]/gi, (url) => sayUrl(url)],
  // ISO dates 2026-11-30, US dates 11/30/2026
  [/\b(\d{4})-(\d{2})-(\d{2})\b/g, (all, y, m, d) => sayDate(all, y!, m!, d!)],
  [/\b(\d{1,2})\/(\d{1,2})\/(\d{4})\b/g, (all, m, d, y) => sayDate(all, y!, m!, d!)],
  // times 3:45, 12:00 pm, 07:05
  [/\b([01]?\d|2[0-3]):([0-5]\d)(?::[0-5]\d)?(?:\s*([ap]\.?m\.?)(?![a-z]))?/gi, (_all, h, m, suffix) => sayTime(h!, m!, suffix)],
  // currency: $3.50, €20, £1, $2.5 million
  [
    new RegExp(String.raw`(-|−)?(${CURRENCY_ALT})\s?(${NUM})(?:\s?(million|billion|thousand|k)\b)?`, "g"),
    (_all, minus, symbol, amount, scale) => sayMoney(minus, symbol!, amount!, scale),
  ],
  // percentages 50%, 2.5 %
  [new RegExp(String.raw`(${NUM})\s?%`, "g"), (_all, n) => `${sayNumber(n!)} percent`],
  // units after a number: 5 km, 25°C, 3.5kg, 10s
  [new RegExp(String.raw`(${NUM})\s?(${LOOSE_UNITS})(?![\p{L}\d])`, "gu"), (_all, n, unit) => sayUnit(n!, unit!)],
  [new RegExp(String.raw`(${NUM})(${TIGHT_UNITS})(?![\p{L}\d])`, "gu"), (_all, n, unit) => sayUnit(n!, unit!)],
  // a binary operator between two numbers (the lookahead keeps the right operand for the next match: 1 + 2 + 3)
  [
    new RegExp(String.raw`(${NUM}|\))(\s*)(${OP_ALT})(\s*)(?=[-−]?(?:${NUM}|\())`, "g"),
    (all, left, before, op, after) =>
      // "3 -4" (a space before only) is a negative number, said by the next rule.
      (op === "-" || op === "−") && before && !after ? all : `${left} ${OPERATORS[op!]} `,
  ],
  // negative numbers: -5, (−3), at a word boundary only
  [new RegExp(String.raw`(^|[\s(\[:=,])[-−](${NUM})`, "g"), (_all, lead, n) => `${lead}minus ${n}`],
  // remaining decimals and thousands separators (not version numbers like 1.2.3)
  [new RegExp(String.raw`(?<![\d.])(${NUM})(?!\.?\d)`, "g"), (n) => (/[.,]/.test(n) ? sayNumber(n) : n)],
  // tidy the spaces the rules left
  [/[ \t]{2,}/g, () => " "],
];

/** What any rule in RULES needs to find in a text before it can match. */
const MAY_REWRITE = /[\d@()]|www\.|:\/\/|[ \t]{2}/i;

/**
 * What a person would say for `text`: see the module comment for what is
 * rewritten. Text without symbols or numbers comes back unchanged.
 */
export function toSpeakable(text: string): string {
  // Most sentences have nothing any rule rewrites: every rule needs a digit, an address (@, www., ://),
  // parentheses around an operator, or two blanks in a row. Skip the 14 passes for those (one per sentence).
  if (!MAY_REWRITE.test(text)) return text;
  let out = text;
  for (const [pattern, replace] of RULES) {
    out = out.replace(pattern, (...args: unknown[]) => {
      // args: the match, one entry per group, then the offset and the whole string.
      const [all, ...groups] = args.slice(0, -2) as [string, ...(string | undefined)[]];
      return replace(all, ...groups);
    });
  }
  return out;
}
