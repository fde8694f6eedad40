/**
 * The injection rules, by family. Each reads normalized text (lowercase, NFKC, invisible
 * characters removed) and carries a weight: how likely a match alone means text written to
 * steer a model. A window's score combines the weights of the distinct rules that match
 * (1 - Π(1 - w)), so several weak signals together flag what none would alone.
 */

import { stems } from './stems.js';

export const FAMILIES = ['override', 'addressed_to_ai', 'role_impersonation', 'tool_trigger', 'exfiltration', 'encoding'] as const;
export type Family = (typeof FAMILIES)[number];

export interface Rule {
  id: string;
  family: Family;
  weight: number;
  pattern: RegExp;
  /** True when a match is not one after all (a human "executive assistant", say). */
  exclude?: (match: string) => boolean;
  /**
   * Words (lowercase stems) of which every match holds one: the rule only runs around them
   * (match.ts). Null for a rule with no such word, which reads the whole text. Written as one
   * `|`-separated string; a leading `^` says every match starts with one of them.
   */
  triggers: readonly string[] | null;
  /** Every match starts at one of its triggers: the rule is tried there and nowhere else. */
  startsAtTrigger: boolean;
  /**
   * What holds at the trigger of every match (sticky): for a rule whose matches start before
   * their trigger, a lookbehind reads the part before it, and the rule is not tried before a
   * trigger where this fails; for one tried at its triggers, a cheaper test tried first (match.ts).
   */
  atTrigger?: RegExp;
  /**
   * For a rule tried at its triggers (and with no exclude): given a trigger where it does not
   * match, the place up to which it matches at no later trigger either (-1: none). Those triggers
   * are passed over: a run of them in one long address is read once, not once each (match.ts).
   */
  extent?: (text: string, at: number) => number;
  /**
   * Every match lies in a stretch of 13 or more characters where lowercase letters alternate with
   * separators (" .-_|*"): a rule without trigger words reads only those, not all the text (match.ts).
   */
  spelledOut?: boolean;
}

/**
 * A few words of filler between the parts of a phrase. A word is letters and digits only: with the
 * separators' hyphens and apostrophes in words too, every split of "a-b-c..." was tried, and 2 KB
 * of "cc-" or "ignore-" did not end. A hyphenated word or a contraction is two words, so five.
 */
const GAP = String.raw`(?:[\s,;:'"“”‘’*_()-]+[\p{L}\p{N}]+){0,5}[\s,;:'"“”‘’*_()-]+`;
const AI = String.raw`(?:ai|a\.i\.|llm|llms|language models?|assistants?|ai agents?|agents?|chatbots?|copilots?|gpts?|chatgpt|claude|gemini|bots?|models?)`;
const READING = String.raw`(?:reading|processing|summari[sz]ing|reviewing|analy[sz]ing|parsing|browsing|handling|scanning|indexing|triaging|crawling|visiting|ingesting|consuming)`;
const SECRETS = String.raw`(?:conversation|chat history|message history|credentials?|api[ _-]?keys?|access tokens?|tokens?|passwords?|secrets?|\.env|env(?:ironment)? (?:file|variables?)|ssh keys?|private keys?|system prompt|session (?:cookies?|ids?)|cookies|customer (?:list|data|database|records)|user data|personal data|contacts?|inbox|emails?|documents?|files?)`;

/** The first words of the compound names an automated helper goes by ("coding agent", "summary tool"). */
const COMPOUND_FIRST = 'ai|automated|autonomous|llm|coding|code|browsing|web|research|shopping|email|mail|inbox|voice|chat|scheduling|triage|review|reconciliation|recruiting|screening|ap|support|booking|notebook|virtual|digital|summary|answer';
/** Their last words: those that name a helper alone too, and those that do not ("tool" alone is in most documentation). */
const HELPER = ['assistant', 'agent', 'bot'];
const HELPER_ONLY_AFTER = ['tool', 'reader', 'model', 'system', 'reviewer'];
/** Who text addresses when it talks to a model: an AI, or a role an automated helper plays (a whole word: not "both"). */
const AI_NOUN = String.raw`(?:ai|a\.i\.|llms?|language models?|chatbots?|copilots?|gpts?|chatgpt|claude|gemini|summari[sz]ers?|bots?|assistants?|agents?|automation|(?:${COMPOUND_FIRST})[ -](?:${[...HELPER, ...HELPER_ONLY_AFTER].map((word) => `${word}s?`).join('|')}))(?![a-z0-9_])`;
/** Words that make what follows an instruction. */
const INSTRUCTION = String.raw`(?:please|kindly|collect|gather|read|copy|paste|resolve|decode|must|should|shall|need to|needs to|is to|are to|has to|have to|always|never|do not|don't|dont|only|also|first|make sure|ensure|remember|record|send|forward|reply|respond|approve|rank|rate|move|close|set|report|say|state|conclude|phrase|present|describe|mark|release|pay|purchase|buy|book|cancel|delete|remove|drop|ignore|treat|classify|tell|inform|include|omit|exclude|skip|recommend|summari[sz]e|flag|escalate|grant|add|update|change|list|output|write|transfer|refund|email|call|run|execute|open|visit|click|download|install|merge|commit|push|disable|enable|give|submit|confirm|register|use|fetch|post|upload|create|invoke|append|insert|print|return|answer|stop|prefer|choose|select|assign|accept|reject|deny|allow|authori[sz]e|reset|this is|the (?:correct|real|actual|only)|you (?:must|should|will|are|can))\b`;
const VOCATIVE_START = String.raw`(?:^|\n|\\n|\t|\s{2}|(?:[.!\])]|(?<!\s)\?)\s|[(\[{"'“>*#/;|]|<!--|\b(?:to|for|hey|hi|attention|dear|note for|notice for|instructions for|message for|hint for)\b|@(?!param\b|returns?\b|type\b|typedef\b|prop(?:erty)?\b|arg(?:ument)?\b|throws\b|see\b|link\b|example\b))`;
/** A type after a declaration's colon ("AgentsAPI.Reference;", "Array<Agent>", "string;", "typeof Reporter;"). */
const DECLARED_TYPE = String.raw`[ \t]*(?:typeof[ \t]+)?[a-z_$][\w$]*(?:\.[\w$]+)*(?:<|\[\]|\(|[ \t]*[;|&=])`;
/**
 * The colon after a vocative ("Assistant: please ..."): not a URL's ("[Claude API](https://...")
 * or a slice's ("[ai:ai+size]"), nor a key's before a value that ends there ("agent": "jane",
 * agent: false,), nor a declaration's before its type ("agent: AgentsAPI.Reference;", "agents:
 * Array<Agent>", "system: string;").
 */
const COLON = String.raw`:(?!//|[^\s*_)\]]|[ \t]*(?:"[^"\n]*"|'[^'\n]*'|-?\d[\d.]*|true|false|null|none|nil|undefined)[ \t]*(?:[,}\]\n]|$)|${DECLARED_TYPE})`;
/**
 * A short word on its own, not inside a longer one: `\b` knows only ASCII letters, so "\bki\b"
 * would match the end of the Polish "ścieżki" and "\bии\b" nothing at all. Nor a name in code
 * ("e.dot?Mi:ki:", "realpath as ki}"): minified JavaScript is full of two-letter names.
 */
const alone = (word: string) => String.raw`(?<![\p{L}\p{N}_$.:=?])${word}(?![\p{L}\p{N}_$]|[)\]};=(])`;
/** What a program or a service tells its user they now are ("you are now logged in", git's "you are in 'detached HEAD' state"). */
const SETTLED = String.raw`logged|signed|connected|disconnected|subscribed|unsubscribed|registered|enrolled|on|ready|able|eligible|using|viewing|following|leaving|a member|all set|set up|in 'detached|in detached|redirected|offline|online|verified`;
/** Not a model: people whose title holds the word "assistant" or "agent", and programs called agents (an HTTP request's User-Agent header, gpg-agent). */
const HUMAN_ROLE = String.raw`\b(?:user|proxy|gpg|ssh)[- ]agent\b|(?:executive|administrative|admin|personal|teaching|research|legal|dental|medical|office|store|shop|lab|sales|marketing|project|travel|estate|insurance|customer service|support|booking|leasing|rental|my|his|her|their)\s+(?:assistants?|agents?)\b|\b(?:assistants?|agents?)\s+(?:professor|manager|director|principal|editor|coach|secretary|counsel|attorney|to the)\b`;

/**
 * A pattern written as its alternatives, each split where a trigger word starts: the part before
 * the trigger, the part from it on, and, where it differs, a wider pattern for the part before
 * that the check at the trigger reads (Rule.atTrigger).
 */
type Split = readonly (readonly [before: string, from: string, behind?: string])[];

/**
 * A role header: the name of a role that sends instructions in square or angle brackets
 * ("[system]", "<admin>"), or any role's name in any brackets with what it sends ("(developer
 * override)", "{root prompt}"). A bare name in braces or parentheses is a placeholder ("{root}")
 * or an aside ("Rita (Security)"); "[root]" and "[security]" are a command's argument and a
 * config section, "[Security note]" a documentation's aside. A bracket right after a name is
 * code: an index ("overrides[operator]"), a type's parameter, a call, a template's placeholder.
 */
const ROLE_NAME = '(?:system|admin|administrator|developer|sys|operator)';
const ROLE_NOTE = '(?:(?:system|admin|administrator|developer|sys|root|operator)[ _-]*(?:override|message|note|instructions?|prompt|command|notice|update|mode)|security[ _-]*(?:override|instructions?|prompt|command|mode))';
/** Not right after a name (the "n" of an escaped newline, "\\n", is none). */
const AFTER_NO_NAME = String.raw`(?:(?<![\w$])|(?<=\\[nrt]))`;
const ROLE_HEADER: Split = [
  [String.raw`${AFTER_NO_NAME}\[[ \t]*`, String.raw`(?:${ROLE_NOTE}|${ROLE_NAME})[ \t]*\]`],
  [String.raw`${AFTER_NO_NAME}<[ \t]*`, String.raw`(?:${ROLE_NOTE}|${ROLE_NAME})[ \t]*>`],
  [String.raw`${AFTER_NO_NAME}\([ \t]*`, String.raw`${ROLE_NOTE}[ \t]*\)`],
  [String.raw`${AFTER_NO_NAME}\{[ \t]*`, String.raw`${ROLE_NOTE}[ \t]*\}`],
];

/** Stems of every name AI_NOUN can take: the names that stand alone, and the whole compound names ("web tool") whose last word does not. */
const AI_STEMS = [
  'ai$|a.i.|llm|language model|chatbot|copilot|gpt|chatgpt|claude|gemini|summariser|summarizer|bot$|bots$|assistant|agent|automation$',
  ...COMPOUND_FIRST.split('|').flatMap((first) => HELPER_ONLY_AFTER.flatMap((last) => [`${first} ${last}`, `${first}-${last}`])),
].join('|');

/**
 * A pattern with a name for a model (AI_NOUN) in it, split where the name starts. At a compound
 * name's last word ("agent" of "coding agent", where its trigger is), the check reads the first
 * word as part of what comes before.
 */
function aiNoun(before: string, after: string): Split {
  return [[before, `${AI_NOUN}${after}`, String.raw`${before}(?:(?:${COMPOUND_FIRST})[ -])?`]];
}

/** Words that name an AI outright: a match holding one is about a model whatever title it also has. */
const STRONG_AI = /\b(?:ai|a\.i\.|llms?|language models?|chatbots?|bots?|copilots?|automated|summari[sz]ers?)\b/;

/** A human title ("support agent", "assistant professor") unless the text also names an AI. */
function humanUnlessAi(source: string): (match: string) => boolean {
  const human = new RegExp(source);
  return (match) => human.test(match) && !STRONG_AI.test(match);
}

/**
 * What `\p{L}` and `\p{N}` stand for in the rules, as plain character classes: ASCII and Latin-1
 * letters and digits, and the Basic Multilingual Plane's blocks of letters (Latin Extended to
 * Greek Extended, Glagolitic to Cyrillic Extended-A, kana to CJK, Yi to Hangul, CJK compatibility
 * and presentation forms), not its blocks of punctuation and symbols (U+2000 to U+2BFF, U+3000
 * to U+303F). A few marks inside the letter blocks (the Arabic comma, the Devanagari danda) count
 * as letters, and a letter beyond the BMP as none: the rules read "a few words" with them, and
 * no corpus verdict changes. The one space among those blocks (U+1680, the Ogham space mark,
 * which `\s` matches) is left out: a rule's runs of letters and of spaces must not share a
 * character, or a regex tries every way of splitting a run between them (a ReDoS checker found
 * 512 characters of it holding the event loop for seconds). A class of ten ranges rather than the exact seven hundred,
 * without the `u` flag the exact ones need, is what lets V8 run these patterns several times
 * faster (the lazy runs before a trigger, match.ts, most of all).
 */
export const PROPERTIES: Readonly<Record<string, string>> = {
  '\\p{L}': String.raw`a-zA-Z\u00aa\u00b5\u00ba\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02ff\u0370-\u167f\u1681-\u1fff\u2c00-\u2dff\u3040-\u9fff\ua000-\ud7ff\uf900-\ufdff\ufe70-\ufefe\uff66-\uffdc`,
  '\\p{N}': '0-9',
};

/** A rule's pattern, property escapes spelled out (PROPERTIES), without the `u` flag. */
function compiled(source: string, flags: string): RegExp {
  return new RegExp(source.replace(/\\p\{[LN]\}/g, (escape) => PROPERTIES[escape]!), flags);
}

/**
 * A URL with a query, and one with a character a placeholder starts with, read in one pass
 * without going back: most links in documentation (a commit's, a package's) have neither, and
 * the rules that read URLs for them pass over the rest at this cost.
 */
const URL_WITH_QUERY = /https?:\/\/[^\s)"'<>?&]*[?&]/y;
const URL_WITH_PLACEHOLDER = /https?:\/\/[^\s)"'<>{[%$]*[{[%$<]/y;
/**
 * Gates that pass only where the URL at the trigger holds one of ?&{[%$< before it ends (at a
 * space, a control character, ")", a quote or ">"): the native trigger pass does not report a
 * stem whose every rule has one of them where its URL holds none (native/words.c, url_may_hold).
 */
export const URL_GATES: readonly RegExp[] = [URL_WITH_QUERY, URL_WITH_PLACEHOLDER];
const URL_ADDRESS = /https?:\/\/[^\s)"'<>]*/y;
/**
 * An address from its scheme to its end: where a rule that reads one from "http" finds no match,
 * a match from an "http" inside it would lie inside it too, and the rule would have found it from
 * the first (Rule.extent). 1 MB of "http://x/?" took 90 s when each was read to the end.
 */
const urlExtent = (text: string, at: number) => {
  URL_ADDRESS.lastIndex = at;
  return URL_ADDRESS.test(text) ? URL_ADDRESS.lastIndex : -1;
};
const IMAGE_ADDRESS = /!\[[^\]\n]{0,100}\]\(\s*https?:\/\/[^)\s]*/y;
/** The longest an image's start can be ("![", 100 characters, "](https://") without a space or ")" in it. */
const IMAGE_START_MOST = 112;
/**
 * The same for an image: an image starting inside the address of one that does not match, its own
 * start short of that address's end (so without a space or ")" in it, as the address has none),
 * has its address inside that one, and would make it match.
 */
const imageExtent = (text: string, at: number) => {
  IMAGE_ADDRESS.lastIndex = at;
  return IMAGE_ADDRESS.test(text) ? IMAGE_ADDRESS.lastIndex - IMAGE_START_MOST : -1;
};

/** A rule; its trigger stems are `|`-separated, `\|` for a literal bar. */
const r = (id: string, family: Family, weight: number, triggers: string | null, source: string | Split, exclude?: string | ((match: string) => boolean)): Rule => ({
  id,
  family,
  weight,
  triggers: triggers === null ? null : stems(triggers.replace(/^\^/, '')),
  startsAtTrigger: triggers?.startsWith('^') ?? false,
  pattern: compiled(typeof source === 'string' ? source : source.map(([before, from]) => `(?:${before})(?:${from})`).join('|'), 'g'),
  ...(typeof source === 'string' ? {} : { atTrigger: compiled(source.map(([before, from, behind = before]) => `(?<=${behind})(?:${from})`).join('|'), 'y') }),
  ...(exclude ? { exclude: typeof exclude === 'string' ? humanUnlessAi(exclude) : exclude } : {}),
});

export const RULES: readonly Rule[] = [
  // Classic overrides, in English.
  r('override.ignore_previous', 'override', 0.9, '^ignore|disregard|forget|skip|override|bypass|drop|abandon|set aside', String.raw`\b(?:ignore|disregard|forget|skip|override|bypass|drop|abandon|set aside)${GAP}?(?:(?:all|any|every|the|your|my|these|those)\s*)?(?:previous|prior|above|earlier|preceding|original|initial|existing|current|old|system|safety|developer|other)\s+(?:instructions?|prompts?|rules?|directions?|directives?|guidelines?|guidance|context|commands?|orders?|constraints?|policies|programming|restrictions?)`),
  r('override.new_instructions', 'override', 0.6, '^new$|updated$|revised$|real$|actual$|true$|additional$|priority$|urgent$|important$', String.raw`\b(?:new|updated|revised|real|actual|true|additional|priority|urgent|important)\s+(?:instructions?|directives?|system (?:prompt|instructions?|message))\s*(?:[:\-–—]|follow|below|are|for (?:you|the (?:ai|assistant|agent|model)))`),
  r('override.you_are_now', 'override', 0.55, '^you are|from now on|from this point|act$|behave$|respond$|pretend$', String.raw`\byou are (?:now|no longer)\b(?!\s+(?:${SETTLED})\b)|\bfrom (?:now on|this point(?: on| forward)?)[,\s]+(?:you|the (?:ai|assistant|agent|model))\b|\b(?:act|behave|respond|pretend) (?:as if you are|as|like) (?:an? )?(?:unrestricted|unfiltered|jailbroken|evil|different|new) `),
  r('override.jailbreak', 'override', 0.3, '^developer mode|jailbr|dan mode|do anything now|god mode|unrestricted mode|no restrictions|no limitations|no filters', String.raw`\b(?:developer mode|jailbr(?:eak|oken)|dan mode|do anything now|god mode|unrestricted mode|no (?:restrictions|limitations|filters) mode)\b`),
  r('override.reveal_prompt', 'override', 0.75, '^reveal|print|output|repeat|show|display|leak|dump|tell me|write out|recite', String.raw`\b(?:reveal|print|output|repeat|show|display|leak|dump|tell me|write out|recite)${GAP}?(?:your|the)\s+(?:full |entire |original |hidden |initial )?(?:system prompt|system message|initial instructions|hidden instructions|instructions above|prompt above)`),
  r('override.instead', 'override', 0.35, '^instead|rather than', String.raw`\b(?:instead|rather than)\b${GAP}?(?:of )?(?:summari[sz]|translat|answer|follow|do)[a-z]{0,8}${GAP}?(?:you (?:must|should|will)|do the following)`),

  // Text that talks to the model reading it.
  r('addressed.ai_reading', 'addressed_to_ai', 0.6, '^ai|a.i.|llm|language model|assistant|agent|chatbot|copilot|gpt|chatgpt|claude|gemini|bot|model', String.raw`\b${AI}\s+(?:that (?:is|are) )?${READING}\s+(?:this|these|the following|the above|it|my|our)\b`),
  r('addressed.if_you_are_ai', 'addressed_to_ai', 0.8, '^if you are|if you\'re|if you re', String.raw`\bif (?:you are|you're|you re) (?:an? )?(?:ai|llm|language model|assistant|bot|chatbot|automated (?:system|agent|assistant)|agent|gpt|claude|copilot)\b`),
  r('addressed.note_to_ai', 'addressed_to_ai', 0.75, '^note|message|instruction|notice|directive|reminder|request', String.raw`\b(?:note|message|instructions?|notice|directive|reminder|request)s?\s+(?:to|for)\s+(?:the |any |all |every )?(?:ai|llm|language model|assistant|agent|model|bot|chatbot|automated|copilot|gpt|claude)`),
  r('addressed.hey_ai', 'addressed_to_ai', 0.7, `${AI_STEMS}|model$|models$`, [[String.raw`(?:^|[\n.!>])\s*(?:attention|dear|hey|hello|hi|important|note|psst)[,:!\s]+(?:the |all |any )?`, String.raw`(?:ai|llm|assistant|agent|bot|chatbot|chatgpt|claude|gemini|copilot|gpt|language model|model)s?\b`]]),
  r('addressed.ai_must', 'addressed_to_ai', 0.6, '^ai|llm|assistant|agent|chatbot|copilot|language model|model', String.raw`\b(?:ai|llm|assistant|agent|chatbot|copilot|language model|model)s?\b(?:\s+\w+){0,3}\s+(?:must|should|shall|are required to|is required to|need to|needs to|have to|has to|is instructed to|are instructed to|are expected to|is expected to|will now)\s(?!be\s+\w+(?:ed|en)\b)`),
  r('addressed.your_response', 'addressed_to_ai', 0.45, '^your response|your reply|your answer|your summary|your output|your completion|your next message|your final answer', String.raw`\byour (?:response|reply|answer|summary|output|completion|next message|final answer)\s+(?:must|should|shall|has to|needs to|will|is to)\b`),
  r('addressed.in_your_response', 'addressed_to_ai', 0.3, 'your response|your reply|your answer|your summary|your output', [[String.raw`\b(?:in|at the (?:end|start|beginning) of|before|after) `, String.raw`your (?:response|reply|answer|summary|output)\b`]]),
  r('addressed.hide_from_user', 'addressed_to_ai', 0.7, "^do not|don't|dont|never|must not|without|the user|the human|the operator", String.raw`\b(?:do not|don't|dont|never|must not)\s+(?:tell|mention|inform|reveal|disclose|show|alert|notify|warn|say (?:anything )?to)\s+(?:this |that |it |anything )?(?:to )?(?:the )?(?:user|human|operator|customer|requester)\b|\bwithout (?:telling|informing|notifying|alerting|asking|warning) (?:the )?(?:user|human|operator)\b|\bthe (?:user|human|operator) (?:must|should|need) not (?:know|see|be told|find out|notice)\b`),
  r('addressed.when_summarising', 'addressed_to_ai', 0.35, '^when$|while$|before$|after$', String.raw`\b(?:when|while|before|after) (?:you )?(?:summari[sz]|translat|process|read|review|analy[sz]|answer|respond)\w*\s+(?:this|these|the (?:above|following|page|document|email|file|ticket|message|data))\b`),

  r('addressed.vocative_instruction', 'addressed_to_ai', 0.8, AI_STEMS, aiNoun(String.raw`${VOCATIVE_START}\s*(?:the |any |all |every |whichever |each |whatever |our |you |dear )?(?:(?:[\p{L}\p{N}]+|-)[ /-]){0,4}?`, String.raw`(?:\s*(?:/|and|or)\s*(?!\s)(?:[\p{L} -]{0,39}?[\p{L}-])?)?(?:[)\]*_"'’]*\s*(?:${COLON}|—|–|\s-\s)|,\s*(?=please|this is|you |do |don't|make sure|always|never|ignore|note|before|when|after)|\s[^:\n\\?=]{0,80}?${COLON})\s*(?!\s)[\s\S]{0,160}?${INSTRUCTION}`), HUMAN_ROLE),
  r('addressed.vocative', 'addressed_to_ai', 0.35, AI_STEMS, aiNoun(String.raw`${VOCATIVE_START}\s*(?:the |any |all |every |whichever |each |our |dear )?(?:(?:[\p{L}\p{N}]+|-)[ /-]){0,3}?`, String.raw`(?:\s(?:[^:\n\\?=]{0,59}?[^:\n\\?=\s])??)?\s*(?:${COLON}|—|–)`), HUMAN_ROLE),
  r('addressed.conditional', 'addressed_to_ai', 0.75, '^if$|when$|whenever$|once$|while$|in case$', String.raw`\b(?:if|when|whenever|once|while|in case)\s+(?:this|the|your|an?|any|these|it)\b[^.\n]{0,60}?\b(?:is|are|was|were|gets?|being)\s+(?:being\s+)?(?:read|processed|summari[sz]ed|reviewed|analy[sz]ed|handled|screened|triaged|parsed|opened|viewed|indexed|ingested|answered|translated)\s+by\s+(?:an?|the|your|any|some)\s+(?:[\p{L}-]+\s+){0,2}?${AI_NOUN}|\b(?:if|when|whenever|once|while)\s+(?:an?|the|your|any|some)\s+(?:[\p{L}-]+\s+){0,2}?${AI_NOUN}\s+(?:is\s+|are\s+)?(?:reads?|reading|process(?:es|ing)?|summari[sz](?:es|ing)|review(?:s|ing)|analy[sz](?:es|ing)|handles?|handling|answers?|answering|installs?|installing|uses?|using|generates?|generating|builds?|building|visits?|visiting|helps?|helping|opens?|opening|compil(?:es|ing)|prepar(?:es|ing)|draft(?:s|ing)|check(?:s|ing)|triag(?:es|ing)|sort(?:s|ing)|screen(?:s|ing)|manag(?:es|ing)|monitor(?:s|ing)|goes through|going through|works? through|working through|looks? at|looking at)\b`),
  r('addressed.ai_that_reads', 'addressed_to_ai', 0.6, AI_STEMS, aiNoun(String.raw`\b`, String.raw`\s+(?:that|which|who)\s+(?:reads?|process(?:es)?|summari[sz]es?|analy[sz]es?|index(?:es)?|reviews?|answers?|generates?|builds?|crawls?|scrapes?|parses?)\b`)),
  r('addressed.ai_identifier', 'addressed_to_ai', 0.5, '^ai|assistant|agent|llm|bot|copilot|model', String.raw`\b(?:ai|assistant|agent|llm|bot|copilot|model)[-_ ]?(?:directives?|instructions?|hints?|actions?|notes?|todo|commands?|guidance|tasks?|overrides?)\b\s*["'\]>:=]`),
  r('addressed.hidden_text', 'addressed_to_ai', 0.3, '^display|visibility$|font-size$|color$|left$|<div$|<span$|<p$|aria-label=|alt=|<meta$', String.raw`(?:(?:display\s*:\s*none|visibility\s*:\s*hidden|font-size\s*:\s*0|font-size\s*:\s*1px|color\s*:\s*(?:#fff(?:fff)?|white)\b|left\s*:\s*-\d{3,}px|<(?:div|span|p)\s+hidden|<meta\s+name=)[^<]{0,200}?|(?:aria-label|alt)=["']?[^"'<>]{0,200}?)\b${AI_NOUN}`),
  r('override.revoked', 'override', 0.85, 'revoked|cancel|void|obsolete|superseded|replaced|suspended|lifted|withdrawn|no longer', [[String.raw`\b(?:previous|prior|earlier|original|all|your|existing|current|safety|content|usage|default)\s+(?:[\p{L}-]+\s+)?(?:instructions?|rules?|guidelines?|directives?|prompts?|policies|constraints)\s+(?:are|is|have been|has been|were)\s+(?:now\s+)?`, String.raw`(?:revoked|cancell?ed|void|obsolete|superseded|replaced|suspended|lifted|withdrawn|no longer (?:valid|apply|in effect|active))`]]),
  r('override.replaced_prompt', 'override', 0.8, 'system|replace|override', [
    [String.raw`\b(?:your|the)\s+(?:new|updated|real|actual|revised|true|corrected)\s+`, String.raw`system\s+(?:prompt|message|instructions?)\b`],
    ['', String.raw`\breplaces?\s+(?:any|all|the|your)\s+(?:previous |earlier |prior |other )?(?:system prompts?|instructions|rules)\b`],
    ['', String.raw`\boverrides?\s+(?:any|all|your|the)\s+(?:default|previous|prior|existing|other|original)\s+(?:behaviou?rs?|instructions?|rules|settings|guidelines|prompts?)`],
  ]),
  r('addressed.assistant_should', 'addressed_to_ai', 0.7, AI_STEMS, aiNoun(String.raw`\b(?:your|the|any|whichever|an?|their)\s+(?:[\p{L}-]+\s+){0,2}?`, String.raw`\s+(?:[\p{L}'’-]+\s+){0,8}?(?:may|should|must|can|will|shall|please|kindly|needs? to|is to|is expected to|are expected to|ought to)\s+(?:also\s+|now\s+|simply\s+|just\s+)?(?:forward|send|reply|approve|record|attribute|leave|omit|include|attach|pay|process|mark|delete|book|cancel|tell|inform|say|add|run|execute|ask|rank|rate|move|close|set|report|conclude|describe|present|follow|ignore|skip|disable|grant|transfer|refund|purchase|buy|submit|confirm|recommend|output|write|use|call|install|commit|push|merge)\b`), HUMAN_ROLE),
  r('addressed.have_it', 'addressed_to_ai', 0.5, '^have$|let$|get$|ask$|tell$|instruct$', String.raw`\b(?:(?:have|let|get)\s+it|(?:have|let|get|ask|tell|instruct)\s+(?:your|the) (?:[\p{L}-]+\s+)?${AI_NOUN})\s+(?:to\s+)?(?:reply|include|attach|send|forward|approve|pay|delete|export|share|post|upload)\b`),
  r('override.ignore_user', 'override', 0.7, '^ignore|disregard|instruction|prompt|system prompt', String.raw`\b(?:ignore|disregard)\s+(?:what(?:ever)?|anything)\s+(?:the user|they|you were|you've been|you have been)\b|\b(?:instruction|prompt)s?\s+(?:override|update)\b|\bsystem prompt (?:update|override|change)\b`),
  r('tool.use_tool', 'tool_trigger', 0.45, 'tool', [[String.raw`\b(?:use|using|call|calling|invoke|invoking|with|via|through)\s+(?:your|the|its|their)\s+(?:[\p{L}-]+\s+){0,2}?`, String.raw`tools?\b`]]),
  r('tool.function_call', 'tool_trigger', 0.6, '^call$|execute$|invoke$|run$|trigger$|"tool|"function|"action|"call', String.raw`\b(?:call|execute|invoke|run|trigger)[ \t]+[a-z_][\w.]*\((?:\s*[a-z_]+\s*=|\s*["'{\[])|(?<=\{\s*\\?)"(?:tool|function|action|call|tool_name)\\?"\s*:\s*\\?"[a-z_]+[._]`),
  // A snake_case function called with nothing: a tool named as one, or a C or Python API in its documentation.
  r('tool.bare_call', 'tool_trigger', 0.3, '^call$|execute$|invoke$|run$|trigger$', String.raw`\b(?:call|execute|invoke|run|trigger)[ \t]+[a-z]+_[a-z_]*\(\s*\)`),
  { ...r('exfil.url_param_secret', 'exfiltration', 0.6, '^http', String.raw`\bhttps?://[^\s)"'<>]*[?&][a-z_]+=(?:[a-z]+_)*(?:api_key|apikey|key|token|secret|password|passwd|messages?|email|history|conversation|address|ssn|card|cookie|session)\b`), atTrigger: URL_WITH_QUERY, extent: urlExtent },
  r('exfil.data_in_url', 'exfiltration', 0.6, '^query string|image url|img url|pixel|tracking image|url parameter|link like|link such as|put$|place$|encode$|append$|add$', String.raw`\b(?:query string|image url|img url|pixel|tracking image|url parameters?|link (?:like|such as))\b[^.\n]{0,80}https?://|\b(?:put|place|encode|append|add)\s+(?!\s|in\b|into\b|to\b)[^.\n]{0,80}\b(?:into|in|to)\s+(?:(?:the\s+)?(?:query string|url|image url)|(?:the|this|that|your|a)\s+link\b)`),
  // Pretending to be the conversation's structure.
  r('role.template_token', 'role_impersonation', 0.9, String.raw`^<\||[inst|[/inst|<<sys|<</sys`, String.raw`<\|(?:im_start|im_end|system|user|assistant|endoftext|eot_id|start_header_id|end_header_id|begin_of_text)\|>|\[/?inst\]|<</?sys>>|<\|.{0,20}?\|>\s*(?:system|assistant)`),
  r('role.header', 'role_impersonation', 0.45, 'system|assistant|developer', [[String.raw`(?:^|\n)\s*(?:#{1,4}\s*)?`, String.raw`(?:system|assistant|developer)\s*(?:(?:message|prompt|instructions?|override|note)\s*)?:(?!${DECLARED_TYPE})\s+[\p{L}"']`]]),
  r('role.bracket', 'role_impersonation', 0.7, 'sys|admin|developer|root|operator|security', ROLE_HEADER),
  r('role.fake_close', 'role_impersonation', 0.75, '^</', String.raw`</\s*(?:untrusted[\s_.:-]*tool[\s_.:-]*output|tool[_-]?(?:output|result|response)|function[_-]?(?:output|result)|document|context|data|search[_-]?results?|user[_-]?input|email|webpage|content)(?:\s[^<>]{0,2000})?>`),
  r('role.end_of_output', 'role_impersonation', 0.45, '^end$|close$|exit$', String.raw`\b(?:end of|end|close|exit) (?:the )?(?:tool|function|document|search|web ?page|email|file|untrusted) ?(?:output|result|response|content|context|data)?[^\S\n]*(?:[\])>.\-=*]+[^\S\n]*)?(?:\n|$)`),
  r('role.begin_system', 'role_impersonation', 0.8, '^begin$|beginning of|start$', String.raw`\b(?:begin|start|beginning of)\s+(?:new |updated )?(?:system|developer|admin)\s+(?:prompt|message|instructions?)`),

  // Trying to make the model act.
  r('tool.call_syntax', 'tool_trigger', 0.55, 'function_call|tool_call|tool_use|tool_name|recipient_name|invoke|functions.', [
    ['"', String.raw`(?:function_call|tool_calls?|tool_use|tool_name|recipient_name)"\s*:`],
    ['<', String.raw`(?:tool_call|function_call|invoke)\b`],
    ['', String.raw`\bfunctions\.(?!(?:append|extend|insert|update|add|get|pop|remove|clear|copy|sort|index|count|keys|values|items|push|map|filter|foreach|find|includes|join|slice|splice|has|set|delete)\()[a-z_]+\(`],
  ]),
  r('tool.call_verb', 'tool_trigger', 0.4, '^call$|invoke$|use$|run$|execute$|trigger$|fire$', String.raw`\b(?:call|invoke|use|run|execute|trigger|fire)\s+(?:the\s+)?[\x60'"]?_*[a-z0-9]+(?:[._]+[a-z0-9]+)+_*[\x60'"]?\s+(?:tool|function|command|endpoint|api)\b|\b(?:call|invoke|trigger)\s+(?:the\s+)?[\x60'"]?[a-z0-9_.]+[\x60'"]?\s+(?:tool|function)\s+with\b`),
  r('tool.destructive_shell', 'tool_trigger', 0.45, '^rm|curl|wget|chmod|mkfs|dd', String.raw`\brm\s+-(?=[a-z]*r)[a-z]+\s+(?:/|~|\*|\$home)|\bcurl\b[^\n|]{0,200}\|\s*(?:sudo\s+)?(?:ba|z)?sh\b|\bwget\b[^\n|]{0,200}\|\s*(?:sudo\s+)?(?:ba)?sh\b|\bchmod\s+777\s+/|\bmkfs\.|\bdd\s+if=/dev/(?:zero|random)`),
  r('tool.approve', 'tool_trigger', 0.35, '^approve$|authori|confirm$|accept$|merge$|sign off$|greenlight$', String.raw`\b(?:approve|authori[sz]e|confirm|accept|merge|sign off on|greenlight)\s+(?:the |this |that |all |any |every )?(?:pending |open |outstanding )?(?:requests?|pull requests?|prs?|payments?|refunds?|transactions?|transfers?|invoices?|changes?|deployments?|wire)\b`),
  r('tool.escalate', 'tool_trigger', 0.7, '^grant$|spawn$|create$|start$|disable$|turn off$|bypass$|skip$', String.raw`\bgrant\s+(?:yourself|itself|me|the (?:assistant|agent|ai)|this (?:user|account|agent))\s+(?:full |admin(?:istrator)? |root |elevated |all |unrestricted )|\b(?:spawn|create|start)\s+(?:a\s+)?(?:sub-?agent|agent|child)\s+with\s+(?:full|all|every|unrestricted|admin)\b|\b(?:disable|turn off|bypass|skip)\s+(?:the\s+)?(?:approval|safety|security|audit|review|confirmation)s?\s*(?:check|step|gate|process|filter|logging)?`),
  r('tool.mass_delete', 'tool_trigger', 0.35, '^delete|drop|wipe|truncate|purge|erase|destroy|remove', String.raw`\b(?:delete|drop|wipe|truncate|purge|erase|destroy|remove)\s+(?:all|every|the entire|the whole|the)\s+(?:records|rows|files|users|tables?|database|data|accounts|customers|backups|repositor(?:y|ies)|branches|logs|emails)\b`),
  r('tool.transfer', 'tool_trigger', 0.35, '^transfer$|wire$|send$|pay$|refund$|issue$', String.raw`\b(?:transfer|wire|send|pay|refund|issue)\s+(?:a\s+)?(?:refund of\s+)?(?:[$€£]\s?\d|\d[\d,.]*\s?(?:usd|eur|gbp|dollars|euros))`),

  // Getting data out.
  // An image whose address holds a query (its first "?", "&" or "#") and then a placeholder. Written to read an address once: with two
  // runs of [^)\s]* around the query's character, 4 KB of "![a](http://x/?{" took 6 s (every split of every address tried, at every "![").
  { ...r('exfil.image_beacon', 'exfiltration', 0.85, '^![', String.raw`!\[[^\]\n]{0,100}\]\(\s*https?://(?=[^)\s]*\))[^)\s?&#]*[?&#](?:[^)\s{[<%$]|%(?!7b|5b|3c)|\$(?!\{))*(?:\{|\[|<|%7b|%5b|%3c|\$\{)[^)\s]*\)`), extent: imageExtent },
  { ...r('exfil.url_placeholder', 'exfiltration', 0.65, '^http', String.raw`\bhttps?://[^\s)"'<>]*(?:[?&#/=](?:\{\{?|\[\[?|<|%7b|%5b|%3c)|[?&#=]\$\{)\s*(?:data|secret|secrets|token|tokens|api[_ -]?key|key|password|passwd|pw|conversation|chat|history|messages?|email|emails|content|contents|summary|user|username|credentials?|info|env|prompt|system[_ ]prompt|context|cookies?|session|ssn|card|balance)\b`), atTrigger: URL_WITH_PLACEHOLDER, extent: urlExtent },
  r('exfil.send_secrets', 'exfiltration', 0.55, '^send$|forward$|post$|upload$|email$|e-mail$|mail$|transmit$|exfiltrate$|leak$|copy$|paste$|submit$|share$|sync$|relay$|cc$|bcc$|dump$', String.raw`\b(?:send|forward|post|upload|email|e-mail|mail|transmit|exfiltrate|leak|copy|paste|submit|share|sync|relay|cc|bcc|dump)\b${GAP}?(?:the |all |your |any |my |our |their |every )?(?:full |entire |complete |raw )?${SECRETS}\b(?:[^.\n]{0,60})\b(?:to|at|into|via)\s+(?:https?://|[\w.+-]+@|the (?:following|address|url|endpoint|webhook)|(?:this|that|our|my) (?:address|url|endpoint|webhook|server|email))`),
  r('exfil.include_secret', 'exfiltration', 0.75, '^include$|append$|add$|insert$|embed$|put$|attach$|paste$|encode$', String.raw`\b(?:include|append|add|insert|embed|put|attach|paste|encode)\s+(?:the |your |any |all |a copy of (?:the |your )?)?(?:user's |users' |customer's )?(?:api[ _-]?keys?|tokens?|access tokens?|passwords?|credentials?|secrets?|system prompt|session (?:cookie|id|token)s?|\.env(?: file)?|environment variables|private keys?|ssh keys?|conversation(?: history)?|chat history)\b[^.\n]{0,60}\b(?:in|into|to|at the end of|inside)\s+(?:your|the|a|this)\s+(?:reply|response|answer|url|link|summary|output|message|image|markdown|query)`),
  r('exfil.visit_url', 'exfiltration', 0.4, '^visit$|open$|fetch$|load$|request$|browse to|navigate to|go to|click$', String.raw`\b(?:visit|open|fetch|load|request|browse to|navigate to|go to|click)\s+(?:the (?:following )?(?:url|link|page)(?:\s*:)?\s*)?https?://[^\s)]*[?&][a-z_]+=(?:\{|\[|<|%7b)`),

  // Hiding instructions in encodings.
  r('encoding.respond_encoded', 'encoding', 0.7, 'base64|base 64|hex|rot13|rot 13|binary|morse|unicode escapes|url encoding|reversed text', [[String.raw`\b(?:encode|write|give|format|put|return|output|send|respond|reply|answer)\w*\s+(?:your |the |all (?:of )?(?:your |the )?)?(?:response|reply|answer|output|summary|message|result)s?\s+(?:in|as|using|with|into)\s+`, String.raw`(?:base ?64|hex(?:adecimal)?|rot ?13|binary|morse|unicode escapes|url encoding|reversed text)\b`]]),
  r('encoding.decode_and_follow', 'encoding', 0.65, '^decode|decrypt|deobfuscate|translate|reverse|unscramble|rot13', String.raw`\b(?:decode|decrypt|deobfuscate|translate|reverse|unscramble|rot13)\b[^.\n]{0,80}\b(?:follow|execute|obey|run|do (?:what|as) it says|carry out|perform|comply|act on|apply (?:it|them|this|these|as|the (?:result|decoded|instructions?)))\b`),
  { ...r('encoding.spaced_letters', 'encoding', 0.4, null, String.raw`\b(?:[a-z][ .\-_|*]){6,}[a-z]\b`, (match) => new Set(match.replace(/[^a-z]/g, '')).size < 4), spelledOut: true },
];

/** "New instructions:" in other languages, each split where its trigger word starts. */
const NEW_INSTRUCTIONS_INTL: Split = [
  ['nuevas ', 'instrucciones'],
  ['novas ', 'instruções'],
  ['nouvelles ', 'instructions'],
  ['neue ', 'anweisungen'],
  ['nuove ', 'istruzioni'],
  ['nieuwe ', 'instructies'],
  ['nowe ', 'instrukcje'],
  ['новые ', 'инструкции'],
  ['yeni ', 'talimatlar'],
  ['新的|新', '指令'],
  ['新しい', '指示'],
  ['새로운 ', '지시'],
  ['', 'تعليمات جديدة'],
  ['नए ', 'निर्देश'],
].map(([before, word]) => [before!, String.raw`${word}\s*[:：]`]);

/**
 * Overrides in other languages (normalized, lowercase): the classic phrasings, new
 * instructions, and text addressed to an AI, in the languages the corpus covers.
 */
export const MULTILINGUAL_RULES: readonly Rule[] = [
  r('override.es', 'override', 0.85, '^ignor|olvid|omite|descarta', String.raw`\b(?:ignora|ignore|ignorad|ignoren|olvida|olvide|olviden|omite|descarta)\b${GAP}?(?:todas? |todos? )?(?:las |los |tus |sus )?(?:instrucciones|indicaciones|órdenes|reglas|directrices)\s+(?:anteriores|previas|originales|del sistema)`),
  r('override.pt', 'override', 0.85, '^ignor|esque|desconsidere|descarte', String.raw`\b(?:ignore|ignora|ignorem|esqueça|esqueca|desconsidere|descarte)\b${GAP}?(?:todas? |todos? )?(?:as |os |suas )?(?:instruções|instrucoes|orientações|regras|diretrizes)\s+(?:anteriores|prévias|previas|originais|do sistema)`),
  r('override.fr', 'override', 0.85, '^ignor|oublie|ne tien|ne tenez|fais abstraction', String.raw`\b(?:ignore[zr]?|oublie[zr]?|ne tiens? pas compte de|ne tenez pas compte de|fais abstraction de)\b${GAP}?(?:toutes |tous )?(?:les |tes |vos )?(?:instructions|consignes|directives|règles|regles)\s+(?:précédentes|precedentes|antérieures|anterieures|initiales|du système|du systeme)`),
  r('override.de', 'override', 0.85, '^ignorier|vergiss|vergessen|missachte|übergeh', String.raw`\b(?:ignorier[a-zäöüß]{0,8}|vergiss|vergessen sie|missachte[a-zäöüß]{0,8}|übergeh[a-zäöüß]{0,8})\b${GAP}?(?:alle |sämtliche )?(?:vorherigen|bisherigen|obigen|vorigen|früheren|ursprünglichen)\s+(?:anweisungen|instruktionen|befehle|regeln|vorgaben|anordnungen)`),
  r('override.it', 'override', 0.85, '^ignor|dimentica|trascura', String.raw`\b(?:ignora|ignorate|dimentica|dimenticate|trascura)\b${GAP}?(?:tutte |tutti )?(?:le |i )?(?:istruzioni|indicazioni|regole|direttive)\s+(?:precedenti|anteriori|originali|di sistema)`),
  r('override.nl', 'override', 0.85, '^negeer|vergeet', String.raw`\b(?:negeer|vergeet)\b${GAP}?(?:alle )?(?:vorige|eerdere|voorgaande|bovenstaande|oorspronkelijke)\s+(?:instructies|aanwijzingen|opdrachten|regels)`),
  r('override.pl', 'override', 0.85, '^zignoruj|ignoruj|zapomnij', String.raw`\b(?:zignoruj|ignoruj|zapomnij)\b${GAP}?(?:wszystkie )?(?:poprzednie|wcześniejsze|wczesniejsze|powyższe)\s+(?:instrukcje|polecenia|zasady|wytyczne)`),
  r('override.ru', 'override', 0.85, '^игнорир|проигнорир|забудь|не обращай|отбрось', String.raw`(?:игнорируй[а-яё]{0,8}|проигнорируй[а-яё]{0,8}|забудь[а-яё]{0,8}|не обращай[а-яё]{0,8} внимания на|отбрось[а-яё]{0,8})${GAP}?(?:все )?(?:предыдущие|прежние|прошлые|вышеуказанные|исходные|системные)\s+(?:инструкци\w*|указани\w*|правила|команд\w*)`),
  r('override.tr', 'override', 0.85, '^önceki|yukarıdaki|tüm', String.raw`(?:önceki|yukarıdaki|tüm)\s+(?:tüm\s+)?(?:talimatları|komutları|kuralları)\s+(?:yok say|görmezden gel|unut|dikkate alma)`),
  r('override.vi', 'override', 0.85, '^bỏ qua|phớt lờ|quên', String.raw`(?:bỏ qua|phớt lờ|quên)\s+(?:tất cả\s+)?(?:các\s+|mọi\s+)?(?:hướng dẫn|chỉ dẫn|lệnh|quy tắc)\s+(?:trước|trước đó|ban đầu)`),
  r('override.id', 'override', 0.85, '^abaikan|lupakan', String.raw`\b(?:abaikan|lupakan)\b\s+(?:semua\s+)?(?:instruksi|perintah|aturan|petunjuk)\s+(?:sebelumnya|terdahulu|awal)`),
  r('override.zh', 'override', 0.85, '^忽略|无视|忽视|不要理会|忘记|忘掉|無視|忘記', String.raw`(?:忽略|无视|忽视|不要理会|忘记|忘掉|無視|忘記)(?:掉)?(?:你)?(?:之前|以上|先前|前面|上述|上面|原来|原來|所有|全部)(?:的)?(?:所有|全部)?(?:的)?(?:指令|指示|说明|說明|提示|规则|規則|命令|设定|設定)`),
  r('override.ja', 'override', 0.85, '無視|忘れ', [[String.raw`(?:以前|前|上記|これまで|先ほど|最初)の(?:すべての|全ての)?(?:指示|命令|ルール|指令|プロンプト)(?:は|を)?(?:すべて|全て)?`, '無視|忘れ']]),
  r('override.ko', 'override', 0.85, '무시|잊', [[String.raw`(?:이전|앞의|위의|기존|모든)\s*(?:모든\s*)?(?:지시|명령|지침|규칙|프롬프트)(?:을|를|은|는|사항을|사항은)?\s*(?:모두\s*)?`, '무시|잊']]),
  r('override.ar', 'override', 0.85, '^تجاهل|انس|اهمل|أهمل', String.raw`(?:تجاهل|انس|اهمل|أهمل)\s+(?:جميع\s+|كل\s+)?(?:التعليمات|الأوامر|الاوامر|القواعد)\s+(?:السابقة|الأصلية)`),
  r('override.hi', 'override', 0.85, 'अनदेखा|नज|भूल', [[String.raw`(?:पिछले|पिछली|पहले के|ऊपर के|सभी)\s+(?:सभी\s+)?(?:निर्देशों|निर्देश|आदेशों|नियमों)\s+(?:को\s+)?`, 'अनदेखा|नज़रअंदाज़|नजरअंदाज|भूल']]),
  r('override.new_instructions_intl', 'override', 0.55, 'instruc|instruç|anweisung|istruzion|instrukc|инструкц|talimat|指令|指示|지시|تعليمات|निर्देश', NEW_INSTRUCTIONS_INTL),
  r('addressed.intl', 'addressed_to_ai', 0.6, 'asisten|assistant|assistent|ki|ассистент|языковая|人工智能|ai|인공지능|مساعد|एआई|yapay|trợ lý', [
    ['', 'asistente de ia|asistente virtual|assistant (?:ia|virtuel)|assistente (?:de ia|virtual|ia)|ki-assistent|ki assistent'],
    ['als ', 'ki'],
    ['ии-', 'ассистент'],
    ['', 'ассистент ии|языковая модель|人工智能助手|ai助手|ai 助手|aiアシスタント|ai アシスタント|ai 어시스턴트|인공지능|مساعد الذكاء الاصطناعي|एआई सहायक|yapay zeka asistanı|trợ lý ai|asisten ai'],
  ]),
  r('addressed.intl_if_ai', 'addressed_to_ai', 0.8, '^si eres|si vous|se você|wenn du|если ты|如果你是|あなたが|당신이', String.raw`(?:si eres una? (?:ia|inteligencia artificial|asistente)|si vous êtes une? (?:ia|intelligence artificielle|assistant)|se você é uma? (?:ia|inteligência artificial|assistente)|wenn du eine? (?:ki|künstliche intelligenz|assistent)|если ты (?:ии|искусственный интеллект|ассистент|языковая модель)|如果你是(?:ai|人工智能|助手|语言模型)|あなたが(?:ai|人工知能)|당신이 (?:ai|인공지능))`),
  r('addressed.intl_vocative', 'addressed_to_ai', 0.6, '^ki|ia|ии|ші|τεχνητής|yapay zek|인공지능|도우미|人工智能|人工知能|アシスタント|एआई|الذكاء|הבינה|ปัญญาประดิษฐ์|ผู้ช่วย|trợ lý|asisten|ассистент|асистент|агент|ajan|assistent|asystent|βοηθ|agente|ai', String.raw`(?:${alone('ki')}|${alone('ia')}(?!-)|${alone('ии')}|${alone('ші')}|τεχνητής νοημοσύνης|yapay zek|인공지능|도우미|人工智能|人工知能|アシスタント|एआई|الذكاء الاصطناعي|הבינה המלאכותית|ปัญญาประดิษฐ์|ผู้ช่วย|trợ lý|\basisten\b|ассистент|асистент|агент|\bajan|\basistent|\bassistente?n?\b|\basystent|βοηθ|\bagente\b|\basistente\b|\bai\b(?=[^\n]{0,50}[^\x00-\x7f]))(?:[^\n.:：,\\;={}<>\[\]|&*+]|,\s){0,50}[:：]`),
  r('addressed.intl_conditional', 'addressed_to_ai', 0.75, 'assistent|asistent|assistant|ia|intelig|intellig|model|modèle|ki|künstlichen|sprachmodell', [
    [String.raw`(?:analisad[oa]|lid[oa]|processad[oa]|resumid[oa]|analizad[oa]|leíd[oa]|procesad[oa]|analysée?|lue?|traitée?|résumée?|analizzat[oa]|lett[oa]|elaborat[oa]|riassunt[oa])\s+(?:por|par|da)\s+(?:um|uma|un|una|une|uno)\s+`, 'assistente|asistente|assistant|ia|inteligência artificial|inteligencia artificial|intelligence artificielle|intelligenza artificiale|modelo|modèle|modello'],
    [String.raw`(?:von|durch)\s+(?:einer?|einem)\s+`, String.raw`(?:ki|künstlichen intelligenz|assistenten|ki-assistenten|sprachmodell)\s+(?:gelesen|verarbeitet|analysiert|zusammengefasst)`],
  ]),
];
