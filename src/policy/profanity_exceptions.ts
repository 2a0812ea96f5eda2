/**
 * The judgement calls on top of the published lists, each with its reason. Keys are folded (see
 * `profanity_fold.ts`) and have no separators.
 *
 * @module
 */

function words(text: string): ReadonlySet<string> {
  return new Set(text.split(/\s+/).filter((word) => word !== ""));
}

/** Entries that are also common given names, surnames or ordinary words: never matched. */
export const NEVER_TERMS: ReadonlySet<string> = words(`
  alla amador anda anita bich bogan bong cao cat chu colon correa christ dong duda fanny franc
  gerber gora gross jamal jesus jiu lin lund lynch madonna mara marica matos mick mona 
  panna peter pina pinto pippa randi randy regina rota seppo shi sowa tina vaca vacca wang
  willie willy zak mose kock popa paska manda orina gasti nigar kunt musso pica youp marone
  sorce filiberto recchia spinelli smerda rosca bedan chacon oral cummings coco fan dix ami
  come name pesce cerise tang loser spank con
`);

/** Short entries that are ordinary words in another language: refused only as the whole name. */
export const WHOLE_NAME_TERMS: ReadonlySet<string> = words(`
  del pot hol syf nyk frj sad pee gob
`);

/** Long entries that ordinary words or names contain (`semenov`, `penistone`): whole words only. */
export const WORD_ONLY_TERMS: ReadonlySet<string> = words(`
  semen penis negro asses sperm sexual balls cocks erotic teste hymen rigger raper spade swallow addict
  tinker snatch pecker escort cumming cummer kummer porno bastard bitch rimming bestial twink
  fagot coons bugger flange vulva willy
`);

/** Short entries that no ordinary word contains: refused inside a longer word too (`xfuckx`). */
export const INSIDE_TERMS: ReadonlySet<string> = words("fuck fck jizz");

/** Short entries refused at the start of a word too (`shitlord`), not inside one (`harshit`). */
export const PREFIX_TERMS: ReadonlySet<string> = words("shit");

/** Ordinary words that contain a term (`scunthorpe`): a match inside one of them does not count. */
export const ALLOWED_WORDS: ReadonlySet<string> = words(`
  scunthorpe therapist snigger shitake chinkapin chinkara prickle prickly bollocking
`);
