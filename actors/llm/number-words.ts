/**
 * Spoken numbers to digits, for the built-in responder's arithmetic: a
 * question that arrives through speech recognition spells its numbers out
 * ("what is twelve times seven"), and the calculator needs digits ("12 * 7").
 * Cardinal numbers from zero up to the millions are understood, with or
 * without "and" and hyphens ("one hundred and twenty-five" -> 125). Words
 * that are not part of a number are left as they are.
 */

const UNITS: Record<string, number> = {
  zero: 0, one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9, ten: 10,
  eleven: 11, twelve: 12, thirteen: 13, fourteen: 14, fifteen: 15, sixteen: 16, seventeen: 17, eighteen: 18, nineteen: 19,
};
const TENS: Record<string, number> = { twenty: 20, thirty: 30, forty: 40, fifty: 50, sixty: 60, seventy: 70, eighty: 80, ninety: 90 };
const SCALES: Record<string, number> = { thousand: 1_000, million: 1_000_000 };

function isNumberWord(word: string): boolean {
  return word in UNITS || word in TENS || word === "hundred" || word in SCALES;
}

/**
 * Replace every run of number words in lower-case `text` with its digits.
 * @example spokenNumbersToDigits("what is twelve times seven") // "what is 12 times 7"
 */
export function spokenNumbersToDigits(text: string): string {
  const words = text.replace(/([a-z])-([a-z])/g, "$1 $2").split(/\s+/).filter((w) => w !== "");
  const out: string[] = [];
  let i = 0;
  while (i < words.length) {
    if (!isNumberWord(words[i]!) || words[i] === "hundred" || words[i]! in SCALES) {
      out.push(words[i]!);
      i++;
      continue;
    }
    let total = 0;
    let group = 0;
    let previous: "unit" | "tens" | "hundred" | "scale" | null = null;
    while (i < words.length) {
      const word = words[i]!;
      // "and" joins parts of one number only when a number word follows ("one hundred and five").
      if (word === "and" && previous !== null && i + 1 < words.length && isNumberWord(words[i + 1]!) && (previous === "hundred" || previous === "scale")) {
        i++;
        continue;
      }
      if (word in UNITS && (previous === null || previous === "tens" || previous === "hundred" || previous === "scale")) {
        if (previous === "tens" && UNITS[word]! >= 10) break;
        group += UNITS[word]!;
        previous = "unit";
      } else if (word in TENS && (previous === null || previous === "hundred" || previous === "scale")) {
        group += TENS[word]!;
        previous = "tens";
      } else if (word === "hundred" && (previous === "unit" || previous === "tens") && group < 100) {
        group *= 100;
        previous = "hundred";
      } else if (word in SCALES && previous !== null && previous !== "scale") {
        total += group * SCALES[word]!;
        group = 0;
        previous = "scale";
      } else {
        break;
      }
      i++;
    }
    out.push(String(total + group));
  }
  return out.join(" ");
}
