"""Signals: the observable facts about a Converse request that routing decides on.

:func:`extract_signals` reads a request once and returns a frozen :class:`Signals`: sizes
(estimated tokens, turns, code lines, retrieved passages), attachments (images, documents,
tools), the requested output length and the task-type cues found by the regexes in
:data:`CUE_PATTERNS`. It judges nothing; weights and thresholds live in
:mod:`tierwise.core.routing`.

Cue regexes run over a bounded window of the text (its head and tail) because instructions
sit at the ends of a prompt while the middle is usually pasted material; that keeps a
20k-token request cheap and stops words inside a pasted document from posing as the task.
All cues are found in one pass over the window (:class:`~tierwise.core.cue_scan.CueScanner`).
Passages and code are counted over the whole text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any, Literal

from tierwise.core.cue_scan import CueScanner, ascii_twin, regroup, whole_words
from tierwise.core.instruction_verbs import asks_for_advice, asks_unlisted_change
from tierwise.core.mappings import is_mapping
from tierwise.core.pasted_docs import documentation_ask
from tierwise.core.tokens import count_request
from tierwise.core.tool_risk import is_destructive_tool, is_general_tool, may_act, verb_forms
from tierwise.errors import InvalidRequestError

__all__ = [
    "CUE_CLASSES",
    "CUE_PATTERNS",
    "OutputLength",
    "Signals",
    "extract_signals",
    "normalize_request",
    "prepare_cues",
    "system_instruction",
    "thinking_conflict",
    "whole_words",
]

OutputLength = Literal["short", "normal", "long"]

# What kinds of order are things, not steps ("a purchase order", "the sales order").
_NOT_A_PLANNED_ORDER = (
    r"(?:purchase|sales|work|change|money|standing|pizza|restraining|court|gag|pecking"
    r"|batting|delivery|customer|client|supplier|stock|repeat|rush|bulk|pending|open|new)\b"
)

# What a lookup in a text asks for by name ("the amounts", "all phone numbers", "the people").
_ENTITY_NOUNS = (
    r"(?:amounts?|sums|prices|figures|numbers|dates|deadlines|names|people|persons"
    r"|organi[sz]ations|companies|emails|email addresses|phone numbers|addresses|references"
    r"|reference numbers|ids|entities)"
)

# After a verb of recommending: not followed (past its ending, a clitic pronoun and one
# pronoun) by the purpose the advice is for ("recommandez-vous pour", "recomiendas para",
# "raccomandi per", "empfiehlst du gegen").
_NOT_FOR_A_PURPOSE = (
    r"(?![\w-]*(?: (?:du|sie|ihr|uns|mir|tu|vous|usted|você|voi|lei|me|te|nos))?"
    r"(?: \w+(?:er|ir|ar|re))? (?:pour|contre|para|contra|per|contro|gegen|für|bei)\b)"
)

# The formats data is converted to (format_conversion).
_TARGET_FORMATS = (
    r"(?:(?:a|an|valid|plain|proper) )*(?:json|csv|yaml|xml|markdown|a table|a markdown table"
    r"|html|toml|snake_?case|camel_?case|title case|lower ?case|upper ?case|iso[- ]?8601"
    r"|bullet points|\w+ format)"
)

# An app that quit by itself (round 17: "Illustrator shut down on its own", "Word closed out of
# nowhere", "quits back to the desktop"). A door or a shop closes on its own too, so, as a
# crash, it counts only in a sentence about software (_debugging_in_other_senses).
_QUIT = (
    r"(?:shut|shuts|shutting) (?:itself )?down (?:on its own|by itself|out of nowhere"
    r"|unexpectedly|without warning)|(?:closed|closes|quit|quits|froze|freezes)"
    r" (?:on its own|by itself|out of nowhere|unexpectedly|without warning)"
    r"|(?:quits?|crash(?:es|ed)?|drops? me) (?:back )?to (?:the )?desktop"
)

# Round 17: an error as a runtime or a compiler prints it, with no word of debugging around it
# (the debugging cue): an error type and its message ("TypeError: cart.items is undefined", not
# "Terror:"), a TypeScript diagnostic ("error TS2322", "TS2339:"), a stack frame ("at render
# (cart.js:42:17)"), JavaScript's runtime messages ("x.map is not a function").
_PRINTED_ERROR = (
    r"\w*[a-su-z0-9_]error:|\w+exception:|error ts\d{4,5}|ts\d{4,5}:"
    r"|at [\w.$<>]+ \([^()\s]+:\d+:\d+\)|[\w$]+(?:\.[\w$]+)+ is not a function"
    r"|cannot read propert(?:y|ies) of (?:undefined|null)"
)

# Task-type cues: name -> pattern. Matched case-insensitively over the last user turn and the
# system prompt. Compiled once at import; this table is data, not state.
_CUE_SOURCE: dict[str, str] = {
    # --- Haiku-class work ---
    "classification": (
        r"classif(?:y|ies|ied|ying|ication|ications|ier)|categori[sz](?:e|es|ed|ing|ation)"
        r"|which category|what category|sentiment|is (?:this|it) (?:\w+ )?spam"
        r"|spam or (?:not|ham)|(?:label|tag) (?:this|each|every|it|them|the following)"
        r"|assign (?:a|one|the) (?:label|category|class)|detect the language"
        r"|(?:what|which) language is (?:this|it|the following)|intent (?:label|detection)"
        r"|(?:label|tag|categori[sz]e)s? (?:the |this |each |every |incoming |a |an )?(?:\w+ )?"
        r"(?:tickets?|messages?|emails?|reviews?|comments?|posts?|texts?|documents?|quer(?:y|ies)"
        r"|requests?|transactions?|headlines?|articles?|items?)"
    ),
    "closed_label_set": (
        r"one of\s*[:\[({]|one of the following (?:labels|categories|classes|options)"
        r"|(?:respond|reply|answer|output|return)(?: with)? only (?:the|a|one)\s+"
        r"(?:\w+ )?(?:label|category|class|letter|number|word|name)"
        r"|(?:answer|respond|reply) with (?:a single|one|exactly one) (?:word|label|letter"
        r"|number)|(?:labels?|categories|classes|options)\s*:\s*\w+(?:\s*[,/|]\s*\w+){1,}"
    ),
    "yes_no": r"yes or no|yes/no|true or false|true/false",
    "json_keys": (
        r"(?:json|object|dict(?:ionary)?) with (?:the )?(?:keys|fields|properties)"
        r"|(?:keys|fields)\s*:\s*[\"'`]?\w+[\"'`]?(?:\s*,\s*[\"'`]?\w+[\"'`]?){1,}"
        r"|(?:return|output|respond with|give me) (?:only )?(?:valid |the |a )?json"
        r"|only (?:valid )?json"
    ),
    "triage": (
        r"triag(?:e|ed|ing)|route (?:this|the|each) (?:ticket|request|message|email|issue)"
        r"|which (?:team|queue|department)|(?:assign|set|determine) (?:a |the |its )?priority"
        r"|priority\s*(?:level)?\s*[:(]\s*(?:low|p[0-4])|urgency (?:level|score)"
    ),
    "extraction": (
        r"extract(?:s|ed|ing|ion)?(?!\s+(?:a |an |the )?(?:method|function|class|interface"
        r"|module|component|helper|variable))|pull out (?:the|all|every)|return the fields"
        r"|parse (?:this|the following|out|these)|fill in the (?:fields|schema|form|json)"
        r"|named entit(?:y|ies)|(?:find|list|get) (?:all )?(?:the )?(?:names|dates|email "
        r"addresses|emails|phone numbers|amounts|entities|addresses) (?:in|from|mentioned)"
        # Round 14: the things asked for named in other words, located in the text given
        # ("grab all phone numbers and email addresses from the text", "pull every amount
        # out of this", "which dates appear below", "the people named here", "fill this in
        # from the text"): a lookup of what the text holds, however many figures it has.
        r"|(?:find|list|get|grab|pull|collect|gather|pick out|give me) (?:all |every |each )?"
        r"(?:of )?(?:the )?(?:[\w-]+ )?"
        + _ENTITY_NOUNS
        + r"(?: (?:and|or) (?:[\w-]+ )?"
        + _ENTITY_NOUNS
        + r")?(?: (?:in|from|out of) (?:this|the|that|these|those|it|my|our"
        r"|his|her|their|below|above)\b| mentioned\b| named\b| listed\b| that appear\b)"
        r"|(?:pull|get|grab|dig) (?:(?:all|every|each) (?:[\w-]+ ){0,4}?|the (?:[\w,-]+ ){1,6}?)"
        r"out of (?:this|it|that"
        r"|these|the (?:text|email|letter|document|message|notice|page|pdf|file))\b"
        r"|(?:which|what) (?:[\w-]+ )?" + _ENTITY_NOUNS + r" (?:appear|are mentioned|are named"
        r"|are listed|occur) (?:in (?:this|the|it)\b|here\b|below\b|above\b)"
        r"|" + _ENTITY_NOUNS + r" (?:[\w-]+ ){0,3}(?:named|mentioned) (?:here|below|above|in"
        r" (?:this|the|it)\b)"
        r"|fill (?:this|it|these|the following|the form|the fields) (?:in|out) from\b"
    ),
    "short_form": (
        r"(?:a|an|one|short|catchy|good|\d+) (?:title|headline|subject line|tagline|slogan"
        r"|caption|tweet|alt text|commit message|(?:[\w-]+ )?(?:tags|hashtags|keywords))"
        r"|subject line|(?:title|headline|tags|hashtags|keywords) for|write a tweet"
        r"|name (?:for|ideas)"
    ),
    "format_conversion": (
        r"(?:convert|transform|turn|reformat|rewrite)"
        r" (?:this|the following|these|it|them)?"
        r"\s*(?:[\w-]+\s){0,3}(?:to|into|as) " + _TARGET_FORMATS + r"|reformat"
        # "encode/serialise ... as TOML" too (round 16: once "'debug': true" in the data was
        # no debugging cue, nothing else read the ask), but only of data given: "this", "these"
        # or "it" and the format ending the ask or opening the data ("... as TOML: {...}");
        # "how do I serialize a dataclass as JSON in Python?" asks how to write code.
        r"|(?:encode|seriali[sz]e) (?:this|the following|these|it|them)\b\s*(?:[\w-]+\s){0,3}"
        r"(?:to|into|as) " + _TARGET_FORMATS + r"(?=\s*(?:[:.!]|\n|$))"
        # Round 14: the same conversion asked as "flatten this nested JSON", "snake_case these
        # column names", "al formato internacional" (values put in a format; not "return it
        # as JSON", "au format JSON", which only say how to give the answer).
        r"|flatten (?:this|these|the|it|them) (?:(?:nested|deep|deeply nested) )?(?:json|yaml"
        r"|dict|object|structure|list)|(?:snake|camel|kebab|pascal)[_ -]?case (?:these|this"
        r"|the|them|it|all)\b|(?:al|au|para o|no) format[oa]? (?:internacional|international"
        r"|iso|e\.?164|24)"
        # Round 18: mechanical rewrites of given text that keep its content: tense, grammatical
        # person, abbreviations spelt out, a list renumbered, names reordered ("Put this
        # paragraph in the past tense", "Change these from first person to third person",
        # "Spell out every abbreviation in this note", "Turn these bullets into a numbered
        # list"); not "give me the steps as a numbered list" (how to give an answer)
        r"|(?:put|rewrite|change|turn|convert|switch) (?:\S+ ){0,4}?(?:in|into|to) (?:the )?"
        r"(?:past|present|future) tense|(?:first|second|third)[- ]person (?:to|into) (?:the )?"
        r"(?:first|second|third)[- ]person|(?:spell|write) out (?:every|all|the|each) (?:\S+ )?"
        r"abbreviations?|expand (?:every|all|the|each) (?:\S+ )?abbreviations?"
        r"|(?:turn|convert|change|make) (?:this|these|it|them|the \w+) (?:\S+ )?into a (?:numbered"
        r"|bulleted) list|(?:surname|last name), (?:given|first) name"
    ),
    "bulk": (
        r"for each (?:of the following|row|item|record|line|entry)|in bulk|batch of"
        r"|first[- ](?:pass|stage) (?:filter|screen|triage|classification)|pre-?filter"
        r"|each of the \d+ (?:items|rows|records|messages|tickets)"
    ),
    "translation": (
        r"translat(?:e|es|ed|ing|ion)|(?:in|into|to) (?:english|french|german|spanish|italian"
        r"|portuguese|dutch|japanese|chinese|korean|polish|arabic|hindi|russian|turkish"
        r"|swedish)(?: please)?[.:!?]?$|auf deutsch|en français|en español"
        # Round 18: a text put or read into another language, not only at the turn's end
        # ("Can you put my reply into German before I send it?", "What does this review say
        # in English?", "English please: '...'"); not "into plain English" (a rewrite)
        r"|(?:put|turn|render) (?:\S+ ){0,4}?into (?:english|french|german|spanish|italian"
        r"|portuguese|dutch|japanese|chinese|korean|polish)(?=[.,:;!?'\"]|$| (?:before|for|so"
        r"|and|please|first|too|as well|with|for)\b)"
        r"|what (?:does|do) (?:\S+ ){0,4}?(?:say|mean) in (?:english|french|german|spanish"
        r"|italian|portuguese|dutch)|^(?:in )?(?:english|french|german|spanish|italian"
        r"|portuguese|dutch),? please\b"
    ),
    "chit_chat": (
        r"^(?:hi|hey|hello|thanks|thank you|thx|ty|cheers|good (?:morning|night|evening)"
        r"|how are you|what's up|lol|cool|great|awesome|nice|ok(?:ay)?|bye)(?: (?:so much|a lot"
        r"|again|there|everyone|all))?[ !.?:)]*$|how (?:are|is) (?:you|your day)"
        r"|tell me a joke|good (?:morning|night) (?:to you|everyone)"
    ),
    # --- Sonnet-class work (the default) ---
    "rag": (
        r"(?:based on|according to|using only|using|from|given) (?:the |these |this )?"
        r"(?:following |provided |above |retrieved |given |attached )?(?:passages?|documents?"
        r"|context|sources?|excerpts?|search results|snippets?)|cite (?:the )?(?:sources?"
        r"|passages?|documents?)"
        # Documentation is retrieved material too (round 10): "using only the documentation
        # below", "answer from the docs", "according to the manual". Words that are also
        # adjectives or verbs ("manual", "docs", "guide", "wiki") only after a determiner
        # ("using manual labour", "from docs import x" are no such cue).
        r"|(?:based on|according to|using only|using|from|given) (?:the |these |this |our "
        r"|your )?(?:following |provided |above |retrieved |given |attached )?(?:documentation"
        r"|knowledge[- ]base(?: articles?)?|kb articles?|handbook|readme|faqs?)"
        r"|(?:based on|according to|using only|using|from|given) (?:the|these|this|our|your)"
        r" (?:following |provided |above |attached |product |user |help[- ]cent(?:er|re) )?"
        r"(?:manual|docs|guide|wiki(?: pages?)?|articles)"
    ),
    "support_reply": (
        r"(?:reply|respond|write a (?:reply|response)|draft a (?:reply|response)) to"
        r" (?:this|the|a|our) (?:\w+ )?(?:customer|user|ticket|complaint|email|review|message)"
        r"|customer (?:support|service) (?:reply|response|agent)|support agent"
        # Round 14: a reply asked for in other words ("write back to the customer below",
        # "answer this ticket", "compose a response to this message from a user", "draft a
        # short reply to ...", "reply on our behalf", "help me reply to this one").
        r"|write back to (?:this|the|a|our|that) (?:[\w-]+ )?(?:customer|user|client|guest"
        r"|member|ticket|email|complaint|review|message|enquiry|inquiry)"
        r"|answer (?:this|the|that) (?:[\w-]+ )?(?:ticket|complaint|enquiry|inquiry"
        r"|customer email|support email|customer message|review)"
        r"|(?:compose|draft|write|prepare|send) (?:a|an|the|our) (?:[\w-]+ ){0,2}(?:reply"
        r"|response|answer) to (?:this|the|a|our|that|his|her|their) (?:[\w-]+ ){0,2}"
        r"(?:customer|user|client|guest|ticket|email|complaint|review|message|post|enquiry"
        r"|inquiry)|(?:reply|respond|answer) on (?:our|my|the company's|the team's) behalf"
        r"|help me (?:reply|respond|write back) to (?:this|the|a|that|him|her|them)\b"
    ),
    "draft": (
        r"(?:draft|write|compose|create) (?:a |an |the |me a )?(?:[\w-]+\s){0,3}"
        r"(?:email|blog post|post|article|announcement|newsletter|cover letter|memo|proposal"
        r"|press release|product description|landing page|letter|speech|story|poem|faq|note"
        r"|notice|bulletin|job ad|job advert|job posting|invitation|release notes|web copy)"
        # Round 15: the piece named first, what it is for after ("LinkedIn post announcing
        # ...", "Product description for our new candle", "Job ad for a ...").
        r"|^(?:an? )?(?:(?:short|quick|new) )?(?:(?:linkedin|instagram|facebook|blog|social"
        r" media) post (?:announcing|about|for|on)|(?:product description|job ad|job advert"
        r"|release notes|newsletter intro\w*) for)"
        # a memo or a note made of given points ("turn these points into a friendly memo")
        r"|(?:turn|make) (?:this|these|it|them|the following) (?:[\w-]+ ){0,2}into (?:a |an )?"
        r"(?:[\w-]+ ){0,2}(?:email|memo|note|post(?! (?:request|endpoint|method|call|body"
        r"|handler|route)\b)|announcement|letter|newsletter)"
    ),
    "routine_code": (
        r"(?:write|implement|create|add) (?:a |an |the |me a )?(?:[\w-]+\s){0,3}"
        r"(?:function|method|class|script|query|regex|unit tests?|endpoint|component|test)"
        r"|fix (?:this|the|my) (?:[\w-]+\s)?(?:error|bug|exception|test|code|crash)"
        r"|traceback|stack trace|typeerror|valueerror|keyerror|attributeerror|nullpointer\w*"
        # Round 15: the code named first ("Bash one-liner: ...", "Cron line to run ...",
        # "TypeScript type for this API response", "Postgres query for revenue per ...").
        r"|(?:bash|shell|powershell|python|perl|awk|sed|jq|sql) one-liner|cron (?:line|entry"
        r"|expression|schedule) (?:to|for|that)|crontab (?:line|entry)|(?:typescript|ts"
        r"|python|go|rust|java|kotlin|swift) (?:type|interface|dataclass|struct|enum"
        r"|function|class) for|(?:postgres|postgresql|sql|mysql|sqlite|bigquery|snowflake)"
        r" query (?:for|that|to)|regex that (?:matches|finds|validates|captures)"
        r"|(?:small|simple|little) (?:python |node |go |bash )?(?:cli|script) (?:with|that"
        r"|to|for)"
        r"|segmentation fault|undefined is not|why (?:does|is|doesn't) (?:this|my) (?:code"
        r"|function|query|test)|code review|review (?:this|my) (?:code|pr|pull request)"
    ),
    "summarization": (
        r"summari[sz](?:e|es|ed|ing|ation)|summary|summaries|tl;?dr|key (?:points|takeaways)"
        r"|main points|recap|condense"
    ),
    "analysis": (
        r"analy[sz](?:e|es|ed|ing)|analysis of|review (?:this|the) (?:contract|document|report"
        r"|policy)|pros and cons|what are the (?:risks|implications)"
    ),
    "debugging": (
        r"debug\w*|bug|bugs|traceback|stack ?trace|exception|segfault|segmentation fault"
        r"|doesn't work|does not work|not working|fails? with|error:|crash(?:es|ed|ing)?"
        r"|code review|review (?:this|my|the) (?:code|pr|pull request|diff|patch)|memory leak"
        r"|off[- ]by[- ]one|why (?:does|is|doesn't|isn't) (?:this|my|the) (?:\w+ )?(?:code"
        r"|function|query|test|loop|script)"
    ),
    "math_task": (
        r"solve|calculate|compute|how many|how much (?:\w+ )?(?:will|does|did|is)|equation"
        r"|what is the (?:probability|value|sum|product|remainder|derivative|limit)"
        r"|simplify|evaluate the|find (?:the )?(?:value|x|all (?:real|integer))|word problem"
    ),
    "planning": (
        r"plan (?:for|out|a|an|the|our|my|your|how)|(?:a|an|migration|project) plan"
        r"|roadmap|strategy|strategic|trade-?offs?|design (?:a|an|the|our)|architecture"
        # not a root cause reported ("Root cause: ...", "the root cause was ..."; round 14)
        r"|migration plan|go-to-market|root cause(?!\s*(?::|-|–|—|was\b))|post-?mortem"
        r"|risk assessment|evaluate"
        r" (?:whether|the options)|recommend (?:an? )?(?:approach|strategy)"
        # Asked to propose an order, a schedule or a plan of steps, whatever the steps are
        # ("propose a purge order", "suggest a schedule for ...", "outline how we'd ...",
        # "the order in which to ..."): sequencing work is planning.
        # An order is also a customer's or a supplier's ("draft a purchase order", "work out
        # the order total") and a list's ("in the order in which they appear"): only an order
        # of steps still to take is planning.
        r"|(?:propose|suggest|outline|sketch|draw up|work out|map out|lay out|draft)"
        r" (?:a |an |the )?(?:(?!" + _NOT_A_PLANNED_ORDER + r")[\w-]+ )?(?:plan|order"
        r"(?! (?:total|number|id|status|confirmation|form|flow|line|lines|history|details"
        r"|value|amount|date|summary|book|email|page|queue|entry|item|items)\b)|sequence"
        r"|schedule|timeline|phasing|roadmap)"
        r"|(?:propose|suggest|outline|sketch|plan|work out) how (?:we|to|you|i)\b"
        r"|(?:the )?order in which (?:to|(?:we|you|i)(?:'d| should| would| could| must| ought"
        r"| can| will))\b|in (?:what|which) order (?:to|should|would|shall|must|do we|do i"
        r"|can we|will we)\b|which (?:ones? )?(?:go|goes|come|comes) first"
    ),
    # Asking for a decision or a recommendation under trade-offs: the request is planning
    # or analysis even when it says "write a memo" or comes with a table of figures.
    "decision": (
        r"should (?:we|the company|the team|the board|management) (?!\w+ me\b)"
        r"|which (?:option|one|way|approach|vendor|plan|path|offer|site|team|variant)s?"
        r" (?:should|would|do you|is (?:the )?best|makes (?:the )?most sense)"
        r"|(?:your|and a|with a|a clear) recommendations?|recommend (?:one|which|whether"
        r"|an option|a course)|what would you (?:do(?! differently)|recommend|choose|pick)"
        r"|what would (?:change|make you change) your (?:mind|recommendation)"
        r"|go/no-go|go or no-go|is (?:it|this|that) (?:a good idea|worth (?:it|doing))"
        r"|(?:weigh|weighing) (?:up )?(?:the|these|them|both|all|it)"
        # "weigh cost against access", "weigh speed and price against risk" (round 18); a
        # thing weighed has an article ("weigh each parcel against the limit")
        r"|(?:weigh|weighing) (?!(?:the|a|an|each|every|this|that|my|your|our|it)\b)[\w-]+"
        r"(?: and [\w-]+)? against\b"
        r"|lay out the (?:options|trade-?offs|scenarios)|decision memo|business case"
        r"|build (?:or|vs\.?|versus) buy|second-order|scenario analysis|(?:best|worst)[- ]case"
        r"|in (?:each|every|both|all) (?:the )?scenarios?|what should we do"
        r"|(?:decide|deciding) whether (?:we|to|the company|the team|it)\b"
        # "on whether we open a second site", not "follow up on whether we received the
        # invoice" nor "focusing on whether it mentions GDPR": what has happened is no choice
        r"|(?:on|about) whether (?:to\b|(?:we|the company|the team) (?!(?:\w+ed|got|have"
        r"|had|did|were|was|already|still)\b))"
        r"|what you'?d (?:do|recommend|choose|pick)|which (?:one )?you'?d (?:pick|choose)"
        r"|where (?:to|should we) (?:invest|cut)"
    ),
    # --- Opus-class work ---
    "proof": (
        r"prove|proves|proven|proof|proofs|proving|lemma|theorem|by induction|formally verify"
        r"|q\.e\.d|qed|derivation|derive (?:\w+ ){0,2}(?:formula|expression|equation|bound"
        r"|closed[- ]form|identity|gradient|estimator)"
    ),
    "step_by_step": (r"step[- ]by[- ]step|multi-?step|chain of (?:reasoning|logic)|show your work"),
    "math": (
        # not "eigen\w*": German "eigene", "eigentlich", "Eigentum", Dutch "eigen" are
        # everyday words ("Das Storno erscheint als eigene Zeile")
        r"integral|integrals|eigen(?:values?|vectors?|decompositions?|spaces?|basis|functions?"
        r"|states?|wert|werte|werten|vektor|vektoren|zerlegung)|differential equations?"
        r"|combinatori\w*|expected value"
        r"|asymptotic\w*|lagrang\w*|recurrence relation|modular arithmetic|mod \d+"
        r"|matri(?:x|ces)|topolog\w*|polynomials?|convergen\w*|probability that"
        r"|infinitely many|irrational|inequality|inequalities|bijections?|isomorphi\w*"
        r"|manifolds?|[≡∀∃∫∑√≤≥]"
    ),
    "reconcile": (
        # Not "contradicted" alone: "supported, contradicted or not mentioned" is a label set.
        # nor a proof "by contradiction" (round 18)
        r"reconcil\w*|conflicting|(?<!by )contradict(?:s|ing|ions?|ory|orily)?|contradicted by"
        r"|inconsisten\w*|disagree(?:s|ment|ments)?"
        r"|synthesi[sz]\w* (?:across|the|these|all|findings|information)"
        r"|across (?:all )?(?:these|the|\d+|several|multiple) (?:sources|documents|reports"
        r"|papers|studies|passages)|compare (?:these |the |all )?(?:\d+|two|three|four|five|six"
        r"|seven|eight|nine|ten|several|multiple) (?:sources|documents|reports|papers|studies"
        r"|vendors|proposals|contracts)|trade-?offs? (?:across|among)"
        # Asking to weigh several given sources into one conclusion.
        r"|pull (?:it|this|these|them|everything) (?:all )?together"
        r"|(?:weigh|compare|check|balance)\w* (?:\S+ ){0,3}?against each other"
        r"|(?:consolidated|overall|combined) (?:view|assessment|picture|conclusion)"
        r"|most defensible|(?:which|what) (?:sources|studies|reports|accounts) (?:should we"
        r"|can we|to) trust|(?:what|how much) (?:do|does) (?:all )?(?:these|this|the sources"
        r"|the evidence) (?:tell|say) (?:us )?overall|where (?:they|the sources|the studies"
        r"|the reports|the accounts) (?:disagree|differ|conflict)|weigh (?:the )?evidence"
    ),
    "research": (
        r"literature review|research report|systematic review|meta-analys\w*"
        r"|state of the art|survey (?:of|the) (?:literature|research|field)"
        r"|research (?:proposal|agenda)|white ?paper|novel (?:hypothesis|research)"
    ),
    "refactor": (
        r"refactor\w*|restructur\w*|re-?architect\w*|rewrite (?:the|our|this) (?:\w+ )?"
        r"(?:module|service|codebase|system)|migrat\w* (?:the|our|this|a) (?:[\w-]+\s){0,2}"
        r"(?:codebase|monolith|service|application|app|project|system|schema)"
    ),
    "codebase": (
        r"codebase|(?:entire|whole) (?:repo(?:sitory)?|project|code ?base)"
        r"|across (?:the|our|this|all) (?:repo(?:sitory)?|modules|services|packages|files)"
    ),
    "architecture": (
        r"system design|design (?:a|an|the) (?:[\w-]+\s){0,3}(?:distributed|scalable"
        r"|fault[- ]tolerant|multi-region|sharded|replicated|event-driven|high-availability)"
        r"|distributed (?:system|consensus|transaction|lock)s?|race conditions?|deadlocks?"
        r"|lock-free|consistency model|consensus (?:protocol|algorithm)"
    ),
    "high_stakes": (
        r"production (?:database|db|server|cluster|environment|system|data)"
        r"|deploy\w* (?:\w+ )?to prod(?:uction)?|irreversibl\w*|cannot be undone|can't be undone"
        r"|wire transfer|(?:send|make|authori[sz]e|execute|approve) (?:a |the )?(?:payment"
        r"|wire|transfer|refund)|drop (?:table|database)|rm -rf"
        r"|delete (?:all|every|the)? ?(?:\w+ )?(?:customer|user|production|prod)\w* ?(?:\w+ )?"
        r"(?:records|rows|data|accounts|tables|database|backups)?"
        r"|legal (?:advice|opinion|liability)|legally binding|medical (?:advice|diagnosis)"
        r"|dosage|drug interactions?|tax liability"
    ),
}

# The same cues in German, French, Spanish, Portuguese, Italian and Dutch: a cue is
# language-neutral evidence once found, while the class model's n-grams are mostly English.
# Whole words, like the English ones; stems end in \\w* only where every ending means the
# same task.
_OTHER_LANGUAGES: dict[str, str] = {
    "classification": (
        r"klassifizier\w*|kategorisier\w*|classe[rz]|classifie[rz]?|classifique|clasifica\w*"
        r"|classifica\w*|categoriza\w*|catégoris\w*|categorizz\w*|classificeer\w*"
        r"|in welcher sprache|welche sprache|quelle langue|qué idioma|que idioma|che lingua"
    ),
    "closed_label_set": (
        r"nur (?:mit )?(?:einem|ein|dem) (?:wort|label)|nur das label|un seul mot"
        r"|uniquement (?:par )?(?:la|le) (?:catégorie|label|mot)|una sola palabra"
        r"|solo la (?:etiqueta|categoría|categoria|parola)|apenas (?:a|o) (?:etiqueta|rótulo"
        r"|categoria|palavra)|uma (?:só|única) palavra|una sola parola|(?:met )?één woord"
    ),
    # Not "extrait": in French it is mostly the noun, an excerpt ("Extrait 2 : ...").
    "extraction": (
        r"extrahier\w*|extrai[rs]|extraire|extrayez|extraia|extrae[rn]?|estrai\w*"
        r"|haal (?:de|alle)"
        # Round 14: what a text holds, asked for by name ("die Beträge in diesem Text",
        # "relève les numéros", "quais prazos aparecem", "qué fechas aparecen")
        r"|(?:beträge|fristen|termine|namen|telefonnummern|aktenzeichen) (?:in|aus) (?:diesem"
        r"|dieser) (?:text|brief|vertrag|e-mail|mail|dokument|schreiben|nachricht|auszug)\b"
        r"|(?:relève[rz]?|repère[rz]?) (?:les|tous les|toutes les)"
        r"|(?:quais|que|qué|quels|quelles|quali) (?:[\w-]+ ){1,2}(?:aparecem|aparecen"
        r"|apparaissent|compaiono|figuran|figurent|constam)\b"
    ),
    "translation": (
        r"übersetz\w*|tradui[rs]|traduisez|tradu(?:ce|cir|za|zir|ci|rre)|vertaal\w*"
        r"|ins (?:englische|deutsche|französische|spanische)|en (?:inglés|anglais|français"
        r"|francés|alemán|allemand)|para (?:o )?(?:inglês|espanhol|francês)"
    ),
    "short_form": (
        r"betreffzeile|überschrift|un titre|titre accrocheur|un título|título corto"
        r"|um título|título curto|un titolo|etiquetas separadas|werbeslogan|eslogan"
        # Round 18: "Titre court pour ce ticket", "Kurzer Titel für den Merge Request"
        # (a title asked for something, not "le titre court du film est quoi ?")
        r"|(?:titre court|court titre|kurze[nr]? titel|titolo breve|breve titolo)"
        r"(?= (?:pour|für|per)\b|\s*:)"
    ),
    "format_conversion": (
        r"umwandeln|wandle|konvertier\w*|convertis(?:sez)?|conviert[ae]|converta|convertire"
        r"|formatier\w*|reformate[rz]?"
    ),
    "summarization": (
        r"zusammenfass\w*|fasse|résum(?:e|é|er|ez)|resum(?:en|ir|a)|riassum\w*|samenvat\w*"
    ),
    "support_reply": (
        r"antworte (?:dem|der|diesem|dieser) kund\w*|répon(?:ds|dez) (?:au|à ce) client"
        r"|réponse (?:au|à ce) client|responde (?:a|al) (?:este )?cliente"
        r"|responda (?:ao|a este) cliente|rispondi al cliente"
    ),
    "proof": r"beweise|beweis|démontre[rz]?|démonstration|demuestra|demostrar|demonstre|dimostra",
    "math_task": r"berechne\w*|calcule[rz]?|calcula|löse|résous|resuelve|resolva|risolvi",
    "triage": (
        r"priorität|priorité|prioridad|prioridade|priorità|welches team|quelle équipe"
        r"|qué equipo|que equipe|zuordnen|ordne"
        # Round 18: "Team (Netz, Server, ...) und Dringlichkeit (hoch/mittel/niedrig)"
        # (a label set given, not "en caso de urgencia")
        r"|(?:dringlichkeit|urgence|urgencia|urgência|urgenza)(?=\s*[:(])"
    ),
    # Writing a memo, a note, a letter or an announcement.
    "draft": (
        r"schreib\w* (?:\S+ ){0,3}?(?:e-?mail|rundmail|mitteilung|memo|notiz|nachricht|brief"
        r"|beitrag|ankündigung|instagram-text|werbetext|stellenanzeige|einladung|newsletter"
        r"|produktbeschreibung)|(?:rédige|rédigez|écris|écrivez) (?:\S+ ){0,3}?(?:mot|note"
        r"|mail|e-mail|courriel|message|annonce|lettre|article|communiqué|(?:l')?introduction"
        r"|newsletter|publication|(?:l')?invitation|offre d'emploi|fiche produit)"
        r"|(?:escribe|escriba|redacta|redacte) (?:\S+ ){0,3}?(?:comunicado|correo|email"
        r"|mensaje|nota|carta|anuncio|artículo|texto para la web|publicación|invitación"
        r"|oferta de empleo|newsletter)"
        r"|(?:escreve|escreva|redige|redija) (?:\S+ ){0,3}?(?:comunicado|e-mail|mensagem"
        r"|nota|carta|anúncio)|(?:scrivi|redigi) (?:\S+ ){0,3}?(?:comunicato"
        r"|email|e-mail|messaggio|nota|lettera|annuncio)|schrijf (?:\S+ ){0,3}?(?:mail|e-mail"
        r"|bericht|memo|notitie|brief|aankondiging)"
    ),
    "reconcile": (
        r"widersprech\w*|widerspr[üu]ch\w*|gleiche? (?:\w+ ){0,4}ab\b|belastbar\w*"
        r"|contradictoires?|croise[rz]? les sources|(?:fuentes|fontes|fonti) entre (?:sí|si)"
        r"|contradictori\w*|contraddittori\w*|confronta (?:le|queste) fonti"
    ),
    "decision": (
        r"empfiehl"
        + _NOT_FOR_A_PURPOSE
        + r"\w*|empfehlung\w*|lohnt (?:sich|es sich)|abwägen|abwägung|welche option"
        # Not the participles: "PVP recomendado", "prix recommandé", "dose raccomandata" are
        # a recommended value, no decision asked (round 14).
        # Nor advice asked for a purpose ("Que recommandez-vous pour garder le pain frais ?",
        # "¿Qué me recomiendas para dormir mejor?", "O que você recomenda para quem ...?"),
        # as English "what do you recommend for ..." is none (round 15); "was empfiehlst
        # du?" after a table of options still is.
        r"|recommand(?!ée?s?\b)" + _NOT_FOR_A_PURPOSE + r"\w*|quelle option|que recommandes"
        r"|recomiend" + _NOT_FOR_A_PURPOSE + r"\w*|recomendaci\w*|qué opción|conviene"
        r"|raccomand(?!at[oaie]\b)" + _NOT_FOR_A_PURPOSE + r"\w*|quale opzione"
        r"|recomend(?!ad[oa]s?\b)" + _NOT_FOR_A_PURPOSE + r"\w*|vale a pena|qual opção"
        # which one is recommended, for whatever purpose: a choice
        r"|(?:qual|quale|cuál|cual|lequel|laquelle|welche[nrs]?) (?:\w+ ){0,2}?(?:recomend"
        r"|recomiend|recommand|raccomand|empfiehl|empfehl)\w*"
    ),
    "architecture": r"entwirf (?:eine|ein) architektur|architektur|conçois|diseña|projete",
    "planning": (
        r"strategie|stratégie|estrategia|estratégia|migrationsplan|plan de migration"
        # an order, a schedule or a plan proposed ("Schlag eine Reihenfolge vor", "propose un
        # calendrier", "proponha uma ordem", "sugiere un plan")
        r"|(?:(?:schlag\w*|propose[zr]?|suggère|suggérez|propón|proponga|sugiere|propõe"
        r"|proponha|sugere|sugira|proponi|suggerisci|erarbeite|entwirf|planifie|planifica"
        r"|pianifica) "
        # French/Portuguese "monte un plan", "montez un calendrier", "monte um cronograma":
        # an article right after, so "Monte Carlo simulation plan" is none
        r"|monte[zr]? (?=(?:un|une|le|la|notre|um|uma|o|a|nosso|nossa) ))"
        r"(?:\S+ ){0,3}?(?:eine[nm]? )?(?:reihenfolge|zeitplan|fahrplan|stufenplan"
        r"|plan|ordre|calendrier|orden|calendario|ordem|cronograma|plano|ordine|piano)\b"
        r"|(?:schlag\w*|propose[zr]?|propón|sugiere|proponha|sugere|proponi|suggerisci)"
        r" (?:\S+ )?(?:vor, )?(?:(?:wie|comment|cómo|como) (?:wir|on|nous|hacer|fazer)"
        # Italian "come" is English "come": not "propose to come on Monday"
        r"|come (?:fare|procedere))\b"
    ),
    "rag": (
        r"(?:anhand|laut) (?:der|des|dieser|diesen|den|dem|unserer|unseres) (?:\w+ )?"
        r"(?:doku|dokumentation|unterlagen|dokumente|passagen|auszüge|quellen|wiki(?:-seiten)?"
        r"|handbuchs?|anleitung|faq)"
        r"|(?:d'après|selon|à partir (?:de|des|du)|en (?:vous |t')?appuyant sur) (?:la |le |les "
        r"|l'|ces |cette )?(?:\w+ )?(?:documentation|doc|faq|manuel|passages?|documents?"
        r"|extraits?|sources?|notice|wiki)"
        r"|(?:según|de acuerdo con|basándote en|basado en|con base en) (?:el |la |los |las "
        r"|este |esta |estos )?(?:documentación|manual|documentos?|pasajes|fragmentos|fuentes"
        r"|faq|guía)"
        r"|(?:segundo|de acordo com|com base (?:em|no|na|nos|nas)) (?:a |o |os |as )?"
        r"(?:documentação|manual|documentos?|passagens|trechos|fontes|faq)"
        r"|(?:secondo|in base (?:a|al|alla|ai|agli)) (?:la |il |i |gli |le |lo |l')?"
        r"(?:documentazione|manuale|documenti|passaggi|fonti|faq)"
        r"|(?:volgens|op basis van) (?:de |het |deze )?(?:documentatie|handleiding|documenten"
        r"|passages|bronnen|faq)"
    ),
}
for _name, _extra in _OTHER_LANGUAGES.items():
    _CUE_SOURCE[_name] = f"{_CUE_SOURCE[_name]}|{_extra}"
# Round 13: asks over pasted documentation and code in other words and languages.
_CUE_SOURCE["rag"] += (
    # "according to this text", "anhand des Textes", "según este texto", "secondo il testo":
    # only after the words for "according to", so "extract the dates from the text" is none
    r"|according to (?:the|this) (?:text|page|article)"
    r"|(?:anhand|laut) (?:der|des|dieser|dieses|diesen|den|dem) (?:\w+ )?(?:textes|texts"
    r"|text|seite|hilfeseite|hilfeseiten)"
    r"|(?:d'après|selon) (?:le |la |ce |cette )?(?:texte|page)"
    r"|(?:según|de acuerdo con|basándote en) (?:el |la |este |esta )?(?:texto|página)"
    r"|(?:segundo|de acordo com|com base n[oa]) (?:o |a |este |esta )?(?:texto|página)"
    r"|(?:secondo|in base a) (?:il |la |questo |questa )?(?:testo|pagina)"
    r"|(?:volgens|op basis van) (?:de |het |deze |dit )?(?:tekst|pagina)"
)
_CUE_SOURCE["summarization"] += (
    # an overview or the gist of given material, or what given code does, asked for a reader
    r"|(?:short |brief |quick |high[- ]level |general |rough )?overview of (?:this|these|the"
    r"|what|how)|the gist|what (?:this|these|the) (?:[\w-]+ )?(?:docs|documentation|page"
    r"|module|file|script|code|program|snippet|library) (?:does|do|is for|covers?)"
    r"|what does (?:this|the) (?:[\w-]+ )?(?:module|file|script|code|program|snippet"
    r"|library) do|(?:walk (?:me|us) through|explain) what (?:this|it|these|the (?:[\w-]+ )?"
    r"(?:code|module|file|script|program|snippet|migration)) (?:does|do)"
    r"|übersicht|überblick|worum (?:es )?(?:hier |dabei |darin )?geht|worum geht'?s"
    r"|kurzfassung|fass(?:e|t|en|st)? (?:\S+ ){0,8}?zusammen\b"
    r"|was (?:dieser|dieses|das|der) (?:\w+ )?(?:code|skript|modul|programm) (?:macht|tut)"
    r"|vue d'ensemble|de quoi parle"
    r"|à quoi sert (?:ce|cette|le|la) (?:code|script|module|programme|page|doc)"
    r"|de qué va|visión general|resúme\w*"
    r"|qué hace (?:este|el|esta) (?:código|script|módulo|programa|función)"
    r"|visão geral|do que se trata|o que (?:este|esse|o) (?:código|script|módulo) faz"
    r"|in sintesi|di cosa parla|panoramica"
    r"|cosa fa (?:questo|il) (?:codice|script|modulo|programma)"
    r"|samenvatting|overzicht|waar (?:het|dit|deze \w+) over gaat"
)
# "Broadly", "in broad strokes": over given material they ask for its gist; in a question
# about the world ("¿Cómo funciona, a grandes rasgos, una hipoteca inversa?") they only ask
# for a short explanation (``gist_of_no_material``, round 15).
_BROADLY = (
    r"a grandes rasgos|en líneas generales|im (?:großen|groben) und ganzen|in groben zügen"
    r"|dans les grandes lignes|a grandi linee|em linhas gerais"
)
_CUE_SOURCE["summarization"] += "|" + _BROADLY
_CUE_SOURCE["json_keys"] += (
    r"|json (?:mit|con|avec|com|met) (?:den |las |los |les |le |as |os |de )?(?:schlüsseln"
    r"|feldern|claves|campos|clés|champs|chiavi|chaves|sleutels|velden)"
)
# Where the fault is, asked about given code; not "no funciona", "funktioniert nicht": a
# customer's complaint says that of a coffee machine ("cafetera que no funciona").
_CUE_SOURCE["debugging"] += (
    r"|what'?s wrong with (?:it|this|my|the)|works locally but|stürzt ab"
    r"|wo (?:ist|liegt) der fehler|où est (?:le bug|l'erreur)|dónde está el (?:error|fallo"
    r"|bug)|hay un bug|dov'è (?:il bug|l'errore)|onde está o (?:erro|bug)"
    r"|waar zit de (?:fout|bug)"
    # A fault told in prose: something that runs and never ends ("my while loop keeps going
    # forever", "the page just spins forever", "the function never returns"; not a party, a
    # song or a meeting), a scheduled job that did not run, and an app that quit by itself
    # (that one only in a sentence about software: see _QUIT).
    r"|(?:loop|script|program|function|recursion|query|build|thread|worker|container"
    r"|request)s? (?:\w+ ){0,3}?(?:never (?:stops|ends|terminates|finishes|returns|exits"
    r"|completes)|(?:runs|loops|spins|hangs|keeps going|keeps running|keeps looping"
    r"|goes on) forever|(?:doesn't|does not|won't|will not) (?:stop|end|terminate|exit"
    r"|finish|return))"
    # a page or an app that never loads (a novel's page that "never ends" is no fault)
    r"|(?:page|app|site|screen)s? (?:\w+ ){0,3}?(?:never (?:loads|finishes loading)"
    r"|(?:spins|hangs|loads|keeps loading|keeps spinning) forever)"
    r"|(?:cron|backup|batch|nightly|scheduled) jobs? (?:\w+ ){0,2}?(?:didn't|did not|never"
    r"|doesn't|does not) (?:run|start|fire|trigger)"
    r"|(?:bucle|ciclo|schleife|boucle|loop|lus) (?:\w+ ){0,2}?(?:nunca termina|no termina"
    r"|non finisce mai|n[ãa]o termina|hört nie auf|endet nie|ne s'arrête jamais"
    r"|ne se termine jamais|stopt nooit)|endlosschleife"
    r"|" + _QUIT + "|" + _PRINTED_ERROR
)
_CUE_SOURCE["chit_chat"] += (
    r"|^(?:hallo|bonjour|salut|hola|olá|ciao|merci(?: beaucoup)?|danke(?: schön| sehr)?"
    r"|gracias|obrigad[oa]|grazie(?: mille)?|dank je(?: wel)?)[ !.?:)¡!]*$"
    r"|qué tal|wie geht'?s|(?:comment )?ça va|tudo bem|come stai"
)

# Chinese and Japanese write without spaces, so whole-word patterns cannot find a cue there:
# these few task words are looked for as substrings, only in text that has such characters.
_CJK_TEXT = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff]")
_CJK_CUES: dict[str, re.Pattern[str]] = {
    name: re.compile(src)
    for name, src in {
        "classification": r"分类|分類|归类|感情分析|情感",
        "closed_label_set": r"只输出|只回答|仅输出|のみ(?:回答|答え|出力)|ラベルのみ",
        "extraction": r"提取|抽出",
        "translation": r"翻译|翻訳|訳して",
        "summarization": r"总结|摘要|概括|要約|まとめて",
        "short_form": r"标题|タイトル|广告语|キャッチコピー",
        "proof": r"证明|証明",
        "math_task": r"计算|計算|求(?:面积|解)",
        "support_reply": r"回复(?:客户|顾客)|返信",
        "architecture": r"架构|アーキテクチャ|系统设计|システム設計",
        "chit_chat": r"^(?:你好|您好|谢谢|こんにちは|ありがとう(?:ございます)?)[！!。.~〜]*$",
    }.items()
}


def _cjk_cues(text: str) -> frozenset[str]:
    if text.isascii() or not _CJK_TEXT.search(text):
        return frozenset()
    return frozenset(name for name, rx in _CJK_CUES.items() if rx.search(text))


# Cues that the answer will be small (they count as much as cues of difficulty), and that
# it will be long. Neither can match across a line break, so finding them in each text's
# window alone is the same as in the windows joined.
_SHORT_OUTPUT = (
    r"(?:in|with|using|as) (?:one|a single|1) (?:word|sentence|line|number|letter|label)"
    r"|one[- ](?:word|sentence|line)(?: (?:answer|reply|summary|response|description))?"
    r"|single (?:word|line|sentence|label|letter|number)"
    r"|(?:in|with|using) (?:two|three|2|3|a couple of|a few) (?:sentences|lines|words)"
    r"|(?:in|under|at most|no more than|max(?:imum)?) (?:\d|[12]\d|30) words|briefly"
    r"|be brief|keep it short|no explanation|without (?:any )?explanation"
    r"|just the (?:number|answer|label|name|category|title)"
    r"|only the (?:number|answer|label|name|category|title|json)"
)
_LONG_OUTPUT = (
    r"detailed|comprehensive|in[- ]depth|thorough(?:ly)?|essay|long[- ]form|exhaustive"
    r"|(?:at least )?(?:[1-9]\d{3,}|[2-9]\d\d)[- ]words?|(?:several|multiple|many) pages"
)
# The answer will be small, read in the ask alone (the system prompt and the first and last
# words of a long user turn), not in pasted material: a closed set of labels or options
# ("billing, technical or legal?", "P1, P2 or P3?"), yes/no, a given list of fields or keys,
# "one per line", "the team name only", "nothing else", in English and other languages. With
# the size cues above and the label, yes/no and JSON-key cues, it is evidence for the Haiku
# classes as strong as a difficulty cue is against them (issue 12, part 4).
_SMALL_ANSWER_ALTERNATIVES = (
    # Not "in a few sentences", "briefly": a short summary is still a summary.
    r"(?:in|with|using|as) (?:one|a single|1) (?:word|line|number|letter|label)"
    r"|one[- ](?:word|line)|single (?:word|line|label|letter|number)"
    r"|(?:in|under|at most|no more than|max(?:imum)?) (?:\d|1\d) (?:words|characters)"
    r"|no explanation|without (?:any )?explanation"
    r"|just the (?:number|answer|label|name|category|title|value|names|dates)"
    r"|only the (?:number|answer|label|name|category|title|json|value|names|dates)"
    r"|one per line|no prose|no other text|output exactly"
    # "Answer from the articles below and nothing else": what to answer from, not the size
    # of the answer (round 14); "the label and nothing else" still is one
    # (the words before it are looked behind from its end: the same test, made only where
    # "nothing else" is, not at every word)
    r"|nothing else(?<!below and nothing else)(?<!above and nothing else)"
    r"(?<!articles and nothing else)(?<!documentation and nothing else)"
    r"(?<!docs and nothing else)(?<!passages and nothing else)(?<!context and nothing else)"
    r"(?<!sources and nothing else)(?<!manual and nothing else)(?<!below, nothing else)"
    r"(?<!above, nothing else)(?<!articles, nothing else)(?<!documentation, nothing else)"
    r"(?<!docs, nothing else)(?<!passages, nothing else)(?<!context, nothing else)"
    r"(?<!sources, nothing else)(?<!manual, nothing else)"
    r"|(?:label|name|word|number|value|category|team|queue|list|letter|title)s? only"
    r"|(?:these|the following|the) (?:\d|two|three|four|five|six|seven) (?:fields|values|items)"
    r"|(?:fields|keys)\s*:\s*[\w ]+(?:\s*,\s*[\w ]+){1,}"
    r"|yes or no|yes/no|true or false|true/false|one of\s*[:\[({]|pick a label"
    # two answers given in quotes ("Answer 'ours' or 'theirs'."; round 18)
    r"|(?:answer|reply|respond|say)(?: with)?(?: just| only)? [\"'‘“][^\"'’”\n]{1,20}[\"'’”]"
    r" or [\"'‘“][^\"'’”\n]{1,20}[\"'’”]"
    # a closed set of options in a question: "billing, technical, sales or legal?"
    # at the start of a sentence or after a colon, so "should we lease, buy or rent?" (advice
    # when nothing is given to weigh, a decision with figures or material: _ANALYSIS_ASKED) and
    # "which is better for us, X or Y?" are not one
    r"|(?:(?<=^)|(?<=[:?.!\n] )|(?<=[:?.!\n]))(?:\w+ )?"
    r"[\w-]+(?:\s*,\s*[\w-]+){1,8},?\s+(?:or|oder|ou|o|of|или)\s+[\w-]+\s*\?"
    # other languages: "ein Wort", "nur die Liste", "solo con el nombre", "une seule
    # étiquette", "liste seulement", "sí o no", "ja oder nein", "oui ou non"
    r"|(?:ein|einem|un|une|una|uno) (?:seul |seule |sola |solo |einzig\w* )?"
    r"(?:wort|mot|palabra|parola|étiquette|etiqueta|label)"
    r"|nur (?:die|den|das|der|mit) \w+|(?:solo|sólo|solamente|seulement|uniquement|nur)"
    r" (?:con |par |avec |mit )?(?:el|la|le|les|das|den|die|ein)? ?(?:nombre|nom|name|liste"
    r"|lista|etiqueta|étiquette|label|wort|mot|palabra|número|numéro|nummer)"
    # "Juste la valeur.", "Solo el valor.", "Geef alleen de waarde": asked at the start of a
    # sentence or after a verb of answering, not "nous avons juste le chiffre de janvier"
    # ("we only have January's figure"), which says what is given
    r"|(?:(?<=^)|(?<=[:?.!\n;] )|(?<=[:?.!\n;]))(?:(?:donne[sz]?|indique[sz]?|réponds"
    r"|répondez|dis|dites|dame|dime|dammi|dimmi|dai|indica|geef|noem|gib|nenn\w*|responde"
    r"|rispondi|antwoord)(?:[- ](?:moi|me|mir))? (?:avec |con |mit |met )?)?(?:solo|sólo"
    r"|solamente|seulement|uniquement|nur|juste"
    r"|apenas|alleen) (?:con |par |avec |mit )?(?:el|la|le|les|das|den|die|ein|il|lo|o|a|de"
    r"|het)? ?(?:valor|valeur|wert|valore|waarde|dato|chiffre|cifra|nombre|nom|name|liste"
    r"|lista|etiqueta|étiquette|label|wort|mot|palabra|número|numéro|nummer)"
    r"|(?:liste|lista|list) (?:seulement|solamente|solo|only)"
    r"|sí o no|si o no|ja oder nein|oui ou non|sim ou não"
)
_SMALL_ANSWER = re.compile(rf"\b(?:{_SMALL_ANSWER_ALTERNATIVES})(?!\w)", re.IGNORECASE)


# A request says what to do at its ends (an instruction, then the material, then the
# question), so each reader below looks at the head and tail of a long text only. The
# sizes are each reader's own: the class model was fitted on the signals they give.
def _ends(text: str, head: int, tail: int, *, whole_up_to: int = 0) -> str:
    """``text``'s first ``head`` and last ``tail`` characters, on two lines; ``text`` itself
    where it is no longer than ``head + tail`` or ``whole_up_to``."""
    if len(text) <= max(head + tail, whole_up_to):
        return text
    return text[:head] + "\n" + text[-tail:]


_ASK_CHARS = 300


def _small_answer(system_text: str, user_text: str) -> bool:
    """Whether the ask (system prompt, and the ends of the user turn) wants a small answer."""
    ask = _ends(user_text, _ASK_CHARS, _ASK_CHARS, whole_up_to=3 * _ASK_CHARS)
    return _small_answer_in(system_text[:2000]) or _small_answer_in(ask)


# _SMALL_ANSWER over lower-cased ASCII text, case-sensitive: the same matches, faster.
_SMALL_ANSWER_CASED = ascii_twin(_SMALL_ANSWER)
# Whether the twin matches, from its alternatives grouped by first character (regroup): a
# match at the same positions, about half the instructions, for a search read only as yes/no.
_SMALL_ANSWER_FOUND = ascii_twin(
    re.compile(rf"\b(?:{regroup(_SMALL_ANSWER_ALTERNATIVES)})(?!\w)", re.IGNORECASE)
)


def _small_answer_in(text: str) -> bool:
    if _SMALL_ANSWER_FOUND is not None and text.isascii():
        return _SMALL_ANSWER_FOUND.search(text.lower()) is not None
    return _SMALL_ANSWER.search(text) is not None


# An action that is hard to undo, asked for in the user's own words ("run this DELETE",
# "wire $40k", "roll back prod"): with a tool that can do it, the agent is about to act.
# Base forms (imperatives, infinitives) and -s only: "what deleted means" asks for nothing.
_ACTION_VERBS = (
        "delete", "drop", "truncate", "wipe", "purge", "erase", "destroy", "remove", "refund",
        "wire", "transfer", "pay", "send", "deploy", "ship", "migrate", "restart", "reboot",
        "cancel", "disable", "deactivate", "revoke", "terminate", "publish", "merge", "charge",
        "void", "suspend", "ban", "overwrite", "reset", "kill", "execute", "apply", "push",
        "rotate", "offboard", "decommission", "rollback", "unpublish", "withdraw",
        # Trading, cluster operations, mass messages and data rewrites.
        "sell", "liquidate", "drain", "evict", "cordon", "notify", "broadcast", "submit",
        "backfill", "rollout", "archive", "block", "unlist",
)  # fmt: skip
_ACTION = (
    "|".join(f"{w}s?" for w in sorted(_ACTION_VERBS, key=lambda w: (-len(w), w)))
    + r"|shut down|tear down|roll back|clean up|force[- ]push|update \w+ set|alter table"
    # Actions said with a particle or an object rather than a verb of the list: "take the
    # article offline", "empty the bucket", "shut the old cluster down", "close the account",
    # "issue a refund", "turn off billing".
    r"|take (?:\S+ ){0,4}?(?:offline|down)|pull (?:\S+ ){0,4}?offline|shut (?:\S+ ){1,4}?down"
    r"|tear (?:\S+ ){1,4}?down|empty (?:the|this|that|these|our|my|their|all|out)"
    r"|close (?:\S+ ){0,3}?accounts?|issue (?:\S+ ){0,2}?refunds?|turn off|switch off"
    r"|power off|get rid of|clear out|wipe out|nuke|flush|post (?:the|this|that|it|our)"
    r"|blast (?:the|this|it|out)|approve (?:the|this|that) (?:payment|payout|transfer|refund)"
    r"|roll (?:\S+ ){0,4}?out|scale (?:\S+ ){0,4}?to (?:zero|0)|pay (?:\S+ ){0,3}?out"
    r"|run (?:the |this |that |our )?(?:\S+ )?(?:payroll|migrations?|pay ?run|playbook)"
    r"|let (?:every|all|each|our|the) (?:\S+ ){0,4}?know|(?:tell|email|message|text|inform)"
    r" (?:every|all|each)(?:one|body)?\b|place (?:an? |the |this )?(?:\S+ )?orders?"
    r"|buy (?:\S+ ){0,2}?(?:shares|units|contracts|stock|positions?)|exit (?:everything|all"
    r"|the|our) |go live|make (?:it|this|them) live|point (?:\S+ ){0,5}?(?:at|to) (?:the )?new"
    r"|move (?:\S+ ){0,5}?over to|replace (?:the )?contents?|process (?:the )?(?:\S+ )?"
    r"(?:termination|refund|payment|payout)s?|get (?:\S+ ){0,3}?out of (?:the )?(?:warehouse"
    r"|database|db|prod\w*|system)"
    # German, French, Spanish, Portuguese and Italian imperatives and infinitives.
    r"|lösch(?:e|en|t)|entfern(?:e|en)|überweis(?:e|en)|send(?:e|en)|kündig(?:e|en)"
    r"|supprim(?:e|er|ez)|envoi(?:e|es)|envoy(?:er|ez)|annul(?:e|er|ez)|rembours(?:e|er|ez)"
    r"|borr(?:a|ar|e)|elimin(?:a|ar|e)|envi(?:a|ar|e)|envía|cancel(?:a|ar|e)|transfier(?:a|e)"
    r"|reembols(?:a|ar|e)|exclu(?:a|ir)|apag(?:a|ar|ue)|cancell(?:a|are)|invia(?:re)?"
    r"|rimuov(?:i|ere)"
)
# Facets of an analysis, each a group of synonyms in English, German, French, Spanish,
# Portuguese, Italian and Japanese; a request names a facet once however many words it uses.
_FACETS: tuple[str, ...] = (
    r"risks?|risiken|risiko|risques?|riesgos?|riscos?|rischi|リスク",
    r"trade-?offs?|compromis|zielkonflikt\w*|pros and cons|vor- und nachteile"
    r"|ventajas y desventajas",
    r"options?|alternatives?|optionen|opciones|opções|opzioni|選択肢",
    r"sequenc\w*|phases?|phased|phasen|fases|étapes|milestones?|フェーズ|段階",
    r"roll-?back|fallback|rückfall\w*|contingency|plan b|ロールバック",
    r"costs?|budget|kosten|coûts?|costes?|custos?|costi|コスト",
    r"scenarios?|szenari\w*|escenarios?|cenários?|sensitivity",
    r"dependenc(?:y|ies)|abhängigkeit\w*|dépendances?|dependencias",
    r"mitigations?|remediation|controls|safeguards",
    r"timeline|roadmap|zeitplan|calendrier|cronograma|スケジュール",
    r"recommend\w*|empfehl\w*|recommand\w*|recomend\w*|raccomand\w*|推奨",
    r"second-order|knock-on|impact|auswirkung\w*|impacto|判断ポイント|decision points?",
    r"assumptions?|constraints?|annahmen|hypothèses|supuestos",
    r"what could go wrong|failure modes?|worst case|downside",
)
_FACET_NAMES = tuple(f"facet:{i}" for i in range(len(_FACETS)))
# Facets count where a request says what to do - the system prompt's instruction (its head,
# or its first paragraph when it also holds material) and the ends of the user turn - not in
# pasted or retrieved material (a report that lists costs asks for no cost analysis),
# and a long document's many "costs" and "options" would each be a match to step over.
_FACET_SCANNER = CueScanner(dict(zip(_FACET_NAMES, _FACETS, strict=True)))
_FACET_HEAD_CHARS, _FACET_TAIL_CHARS = 1500, 800


def _analysis_facets(system: str, user: str) -> int:
    ask = _ends(user, _FACET_HEAD_CHARS, _FACET_TAIL_CHARS)
    text = f"{system_instruction(system)[:_FACET_HEAD_CHARS]}\n{ask}".lower()
    return len(_FACET_SCANNER.find(text))


# Not cue names: the scanner reports them with the cues.
_SHORT, _LONG, _ACT = "output:short", "output:long", "action:irreversible"

# Patterns are written in lower case and run over lower-cased text: several times faster
# than re.IGNORECASE on long windows. Every cue is a whole word or phrase
# (:func:`whole_words`). One scanner finds all of them in one pass over a window.
_SCANNER = CueScanner(
    {
        **_CUE_SOURCE,
        _SHORT: _SHORT_OUTPUT,
        _LONG: _LONG_OUTPUT,
        _ACT: _ACTION,
    }
)
CUE_PATTERNS: Mapping[str, re.Pattern[str]] = {
    name: _SCANNER.patterns[name] for name in _CUE_SOURCE
}
_CUE_NAMES = frozenset(_CUE_SOURCE)

# Whether the user's last words ask for the action or only ask about something. A sentence
# that opens with a question word or a read-only verb ("show", "list", "check", "what is",
# "did the refund go out?") asks nothing to be done, even if it names an action, unless an
# action is chained on ("find the duplicates and delete them", "check the logs, then
# restart it"). Other sentences that name an action ask for it.
_READ_LEAD = re.compile(
    r"\s*(?:(?:ok(?:ay)?|so|hey|hi|hello|please|quick question|first|now|also|and|but)\b"
    r"[,:]?\s*)*(?:(?:can|could|would|will) you (?:please )?)?"
    r"(?:what(?:'s|s)?|which|how|when|where|who|whose|why|is|are|was|were|do|does|did|has"
    r"|have|had|should|show|list|check|find|look|get me|tell me|summari[sz]e|read|explain"
    r"|count|describe|fetch|search|see|view|display|give me|verify|confirm whether"
    # Verbs that only look or rehearse: nothing changes ("pull up the draft", "dry-run the
    # cleanup and tell me what it would remove", "preview the new prices").
    r"|pull up|look up|dry[- ]?run|preview|simulate|estimate|compare|draft|outline"
    # and that only compute or inspect ("sum the March revenue by region", "tail the log").
    r"|sum|total|calculate|compute|average|analy[sz]e|plot|chart|break down|inspect|audit"
    r"|trace|diagnose|investigate|query|select|ping|tail|grep|print)\b"
)
_ACTION_RX = _SCANNER.patterns[_ACT]
_CHAINED_ACTION = re.compile(
    r"(?:\band|,|;|:|\bthen|\bafter that)\s+(?:(?:then|please|also|go ahead and)\s+)*"
    + _ACTION_RX.pattern
)
# A plan asked for and carried out in the same sentence ("Plan the purge and run it
# tonight", "Suggest a purge order and go ahead with it"): the plan's action is asked too.
_CARRIED_OUT = re.compile(
    r"(?:\band|\bund|\bet|\by|,|;|:|\bthen|\bdann|\bpuis|\bluego|\bafter that)\s+"
    r"(?:(?:then|please|also|just|immediately|dann|bitte|puis|luego)\s+)*"
    r"(?:go ahead\b|proceed\b|(?:run|execute|apply|do|perform|implement|enact|action)"
    r" (?:it|them|that|this|those|these|the plan)\b(?! by| past)"
    r"|carry (?:it|them|that|this|those|these|the plan) out\b"
    r"|(?:führ\w*|setz\w*) (?:sie|es|ihn|das) (?:\w+ )?(?:aus|um)\b"
    r"|(?:exécute|appliquez|applique|exécutez|lance|lancez)(?:[- ](?:le|la|les))?\b"
    r"|(?:ejecút|aplíc|llév)\w*)"
)
# A full stop ends a sentence after a word of three letters or more ("R. Patel", "e.g." and
# "v4.1" do not end one).
_SENTENCE_END = re.compile(r"(?<=\w\w\w)\.(?=\s|$)|[!?\n]")
_SENTENCE_SPLIT = re.compile(f"({_SENTENCE_END.pattern})")


# A question can be an instruction put as one: "Delete the stale branches?", "ok so just wipe
# the staging bucket?", "¿Borra las ramas viejas?", "Supprimer la table ?". The words that
# may come before the verb without making it a question about something: fillers, "go ahead
# and", "let's", "shall we".
_QUESTION_OPENER = (
    r"\s*¿?\s*(?:(?:ok(?:ay)?|so|hey|hi|hello|now|also|and|but|then|just|pls|right|alright|great"
    r"|cool|fine|yes|yeah|yep|thanks|go ahead and|let'?s|shall we)\b[,:]?\s*)*"
)
_OPENING = re.compile(_QUESTION_OPENER)
# An action word followed by how it went is a noun in a status question ("deploy done?",
# "refund gone through for 88123?", "deploy failed on prod?"), not an instruction: an
# auxiliary or a word that can only say how it went, or a participle or state that ends the
# question or is followed by a preposition or an adverb ("restart failed jobs?" and "delete
# merged branches?" still instruct).
_STATUS_AFTER = re.compile(
    r"\s+(?:(?:is|was|are|were|has|had|have|did|does|do|will|would|can|could|should|went|gone"
    r"|goes|still|already|yet|ok|okay|through|status)\b"
    r"|(?:done|finished|complete|ready|live|successful|pending|stuck|running|ok|\w+ed)"
    r"(?:\s*$|\s+(?:on|in|at|for|from|to|by|with|without|yet|already|ok|okay|now|today"
    r"|yesterday|tonight|last|this|successfully|fine|properly|correctly|again|after|before"
    r"|overnight|there|here|or)\b))"
)
# Verb-last (German, Dutch): a question that ends on the action's infinitive, with no
# question word, modal or auxiliary before it and no "zu", asks for it ("Die alten Branches
# löschen?", "Alles entfernen?"); "Sollen wir die Tabelle löschen?" and "Warum die Tabelle
# löschen?" ask about it.
_ASKS_ABOUT_DE_NL = re.compile(
    _QUESTION_OPENER + r"(?:was|wie|wer|wen|wem|wo\w*|wann|warum|wieso|weshalb|welch\w*|wieviel\w*"
    r"|soll\w*|kann|kannst|können|könnt\w*|muss|musst|müss\w*|darf|darfst|dürf\w*|will|willst"
    r"|woll\w*|ist|sind|war|waren|hat|hast|haben|hatte\w*|wird|wirst|werden|wurde\w*|gibt"
    r"|wat|hoe|waar\w*|wanneer|welke|moet\w*|kan|kunnen|zal|zullen|zijn|heeft|hebben|mag"
    r"|mogen)\b"
)


def _question_asks_action(sentence: str) -> bool:
    """Whether a question that is not a polite request (lower case, without its "?") is an
    instruction: the action opens it ("drop the old users table?"), not as a noun in a status
    question ("deploy done?"), or a verb-last question ends on the action's infinitive."""
    start = _OPENING.match(sentence)
    at = start.end() if start else 0
    lead = _ACTION_RX.match(sentence, at)
    if lead is not None and not _STATUS_AFTER.match(sentence, lead.end()):
        return True
    body = sentence.rstrip()
    if not body.endswith("en"):
        return False
    last = [m for m in _ACTION_RX.finditer(body) if m.end() == len(body)]
    return (
        bool(last)
        and not body[: last[0].start()].endswith("zu ")
        and _ASKS_ABOUT_DE_NL.match(body) is None
    )


def _asks_action(text: str) -> bool:
    """Whether a sentence of ``text`` (lower case) asks for an irreversible action. A question
    that is not a polite request ("after what season did he retire?", "¿retiro el dinero
    hoy?") asks nothing, in any language, unless an action is chained on or the question is
    an instruction ("delete the stale branches?": :func:`_question_asks_action`)."""
    parts = _SENTENCE_SPLIT.split(text)
    for sentence, end in zip(parts[::2], [*parts[1::2], ""], strict=True):
        if not _ACTION_RX.search(sentence):
            continue
        if _CHAINED_ACTION.search(sentence):
            return True
        # "Propose a rollout order": the action is the subject of the plan asked for.
        looks = (
            _READ_LEAD.match(sentence)
            or (asks_for_advice(sentence) and not _CARRIED_OUT.search(sentence))
            or (
                end == "?"
                and not _POLITE_REQUEST.match(sentence)
                and not _question_asks_action(sentence)
            )
        )
        if not looks:
            return True
    return False


# A short confirmation ("yes, go ahead", "ok do it", "ja, mach", a thumbs-up) right after the
# assistant proposed an irreversible step asks for that step, though the user's words name no
# action; after a proposal only to look ("Want me to list them?") it asks only to look.
_CONFIRM = re.compile(
    r"\s*(?:(?:yes|yep|yeah|yup|sure|ok(?:ay)?|go|go ahead|do it|proceed|confirm(?:ed)?"
    r"|approved?|send it|ship it|lgtm|ja|jawohl|mach|oui|vas-y|allez-y|d'accord|sí|si|dale"
    r"|adelante|sim|pode|vai|certo)\b|\U0001f44d|\u2705|\U0001f44c|\U0001f197)(?![^.!?]*\?)",
    re.IGNORECASE,
)
_CONFIRM_MAX_CHARS = 60
# The assistant describes the step it proposes in any form of the verb ("Merging folds 37
# contacts; the duplicates deleted", "Removing the release takes it off the site"), or as
# the command it will run ("rm -rf", an HTTP POST or DELETE, a DROP statement).
_PROPOSED_ACTION = re.compile(
    whole_words("|".join(sorted(verb_forms(_ACTION_VERBS), key=lambda w: (-len(w), w))))
)  # over lower-cased text
_PROPOSED_COMMAND = re.compile(r"\brm -|\b(?:POST|PUT|PATCH|DELETE|DROP|TRUNCATE)\b")


class _Confirms(Enum):
    """What a short confirmation in the last user turn confirms."""

    NOTHING = "nothing"  # no confirmation, or nothing proposed just before it
    LOOK = "look"  # a proposal only to look ("Want me to list them?")
    ACT = "act"  # an irreversible step


def _confirms_proposal(messages: Sequence[Mapping[str, Any]], user_text: str) -> _Confirms:
    """What the last user turn confirms when it only confirms the proposal the assistant
    made in the turn just before it (an irreversible step, or any other)."""
    if len(user_text) > _CONFIRM_MAX_CHARS or not _CONFIRM.match(user_text):
        return _Confirms.NOTHING
    if len(messages) < 2 or messages[-2].get("role") != "assistant":
        return _Confirms.NOTHING
    if not _texts(messages[-1].get("content") or ()):
        # the last turn is tool results: the task text is an earlier turn
        return _Confirms.NOTHING
    proposal = _cue_window("\n".join(_texts(messages[-2].get("content") or ())))
    if not proposal:
        return _Confirms.NOTHING
    lower = proposal.lower()
    if _ACTION_RX.search(lower) or _PROPOSED_ACTION.search(lower):
        return _Confirms.ACT
    if _PROPOSED_COMMAND.search(proposal):
        return _Confirms.ACT
    return _Confirms.LOOK


# A question in any language ("Quanti contatti ha il segmento PMI?", "¿Cuántos becarios...?")
# asks to be told something, unless it is a polite request to do something ("can you...?",
# "pourriez-vous...?", "kannst du...?": asked, or not, by the words that follow).
_POLITE_REQUEST = re.compile(
    r"\s*(?:(?:ok(?:ay)?|so|hey|hi|hello|please|and|but)\b[,:]?\s*)*"
    r"(?:can|could|would|will|wo)(?:n't)? (?:you|u)\b|please\b|kannst du|k(?:ö|oe)nnt(?:est|en)"
    r"|würdest|peux-tu|pouvez-vous|pourriez-vous|pourrais-tu|puedes|puede usted|podrías|podría"
    r"|pode|podes|poderia|puoi|può|potresti|kun je|kunt u|zou je"
)


# An English question that opens with a verb followed by its object's determiner is an
# instruction put as a question whatever the verb ("prune the stale branches?", "vacuum the
# orders table?"): it does not only look, though no action list holds the verb. Not when the
# first word is a question word, an auxiliary, a pronoun, a quantifier or a conjunction, a
# verb of wanting, knowing or needing ("need the logs?", "want the full list?"), or the
# participle of an elided "have you" ("finished the deploy?", "got the numbers?").
_IMPERATIVE_QUESTION = re.compile(
    _QUESTION_OPENER
    + r"(?!(?:what|which|who|whom|whose|when|where|why|how|is|are|was|were|am|do|does|did"
    r"|has|have|had|can|could|will|would|shall|should|may|might|must|any|anything|anyone"
    r"|anybody|all|every|everything|some|something|no|nothing|none|both|each|either|neither"
    r"|it|this|that|these|those|there|here|you|we|they|he|she|i|our|my|your|their|the|a|an"
    r"|not|only|also|even|still|and|or|but|if|so|need|needs|want|wants|know|knows|remember"
    r"|mean|means|like|think|see|hear|understand|recall|mind|got|gotten|seen|done|found|heard"
    r"|sent|made|gone|taken|given|left|kept|paid|built|bought|been)\b)"
    r"[a-z]+(?<!ed)(?<!ing)\s+(?:the|this|that|these|those|all|every|each|our|my|its|their|it"
    r"|them|any|both)\b"
)


# Round 18: to an agent, the state the user wants things left in is what it is asked to bring
# about, though no verb names the action: "I need her out of every system before 5pm", "I want
# it off our books", "I don't want anything readable on it", "I don't want to keep paying for
# it", "They shouldn't be [running].", "They should get that back." Read in statements only (a
# question asks about a state: "We don't want downtime - is the deploy safe?"), and not "I need
# to know / see / check ...", which asks to look.
_WANTED_STATE = re.compile(
    r"\b(?:i|we) (?:need|want|'d like|would like)(?! to (?:know|see|check|understand|find"
    r"|look|learn|confirm|review|hear|ask))(?: \S+){1,6}? (?:out of|off|gone|removed"
    r"|deleted|cancell?ed|closed|disabled|wiped|back)\b"
    r"|\b(?:i|we) (?:don't|do not) want (?:to keep|anything|any more|anymore|it|them|this|that"
    r"|those|these)\b"
    r"|\b(?:they|it|he|she|this|that|these|those) (?:shouldn't|should not) (?:be|exist|have"
    r"|still)\b"
    r"|\bshould (?:get|have) (?:\S+ ){1,3}?back\b",
)


# After a look asked ("Is Marta still active? I need her out of everything by noon."), the
# state wanted of a person is still an action; "I don't want it as a table", "I need the list
# back within the hour" say how the answer should come, and are not (round 18's review).
_PERSON_WANTED_GONE = re.compile(
    r"\b(?:i|we) (?:need|want|'d like|would like) (?:her|him|them)(?: \S+){0,4}? (?:out of|off"
    r"|gone|removed|deleted|disabled|locked out)\b"
)


def _wants_a_state(window: str, *, looking: bool = False) -> bool:
    """Whether a statement (no question) of the user's words says the state they want;
    ``looking`` (a look is asked): only a state wanted of a person counts."""
    wanted = _PERSON_WANTED_GONE if looking else _WANTED_STATE
    return any(
        wanted.search(sentence) is not None
        for sentence in re.split(r"(?<=[.!])\s+|\n+", window[:1500].lower())
        if sentence.strip() and not sentence.rstrip().endswith("?")
    )


def _read_only_ask(text: str) -> bool:
    """Whether the user's words open with a question or a read-only verb ("show me...",
    "how many...", "check whether..."), or are a question that is not a polite request and
    not an instruction put as a question ("prune the stale branches?")."""
    if not text:
        return False
    head = text[:200].lower()
    if _READ_LEAD.match(head) is not None:
        return True
    question = text.rstrip().endswith("?") or text.lstrip().startswith("¿")
    return (
        question
        and _POLITE_REQUEST.match(head) is None
        and _IMPERATIVE_QUESTION.match(head) is None
    )


# Which class of work each cue is evidence for. Cues without a class ("math", "refactor",
# "codebase", "step_by_step") only count in combination; routing combines them.
CUE_CLASSES: Mapping[str, str] = {
    "classification": "haiku",
    "closed_label_set": "haiku",
    "yes_no": "haiku",
    "json_keys": "haiku",
    "triage": "haiku",
    "extraction": "haiku",
    "short_form": "haiku",
    "format_conversion": "haiku",
    "bulk": "haiku",
    "rag": "sonnet",
    "support_reply": "sonnet",
    "draft": "sonnet",
    "routine_code": "sonnet",
    "summarization": "sonnet",
    "analysis": "sonnet",
    "proof": "opus",
    "reconcile": "opus",
    "research": "opus",
    "architecture": "opus",
    "high_stakes": "opus",
}

_PASSAGE_LINE = re.compile(  # over "\n" + text: see _count_passages
    r"\n\s*(?:#+\s*)?(?:\[(\d{1,3})\]|\(?(?:passage|document|doc|source|context|excerpt"
    r"|article|snippet|result|chunk)\s*#?\s*(\d{1,3})\)?\s*[:.)\]-])",
    re.IGNORECASE | re.MULTILINE,
)
_PASSAGE_TAG = re.compile(r"<(?:document|doc|passage|source|search_result)\b[^>]*>", re.I)
_FENCE = re.compile(r"^\s*(?:```|~~~)", re.MULTILINE)
# A line that starts like code (with .match); see _code_like for how lines end.
_CODE_START = re.compile(
    r"\s*(?:def |class \w|import \w|from [\w.]+ import|function\b|const |let |var |public "
    r"|private |protected |#include|package \w|fn \w|func \w|return\b|if\s*\(|for\s*\("
    r"|while\s*\(|\}\s*else|select .+ from|create table|insert into|@\w+)",
    re.IGNORECASE,
)
_SOURCE_EXTENSIONS = (
    r"py|js|jsx|ts|tsx|go|rs|java|kt|rb|php|cs|cpp|cc|c|h|hpp|swift|scala|sql|vue|svelte"
)
_FILE_PATH = re.compile(rf"\b[\w./-]+\.(?:{_SOURCE_EXTENSIONS})\b")
# Every path ends in one of these; looked for first, as it starts with a literal "." that re
# finds quickly, while the path pattern is tried at every word boundary.
_SOURCE_SUFFIX = re.compile(rf"\.(?:{_SOURCE_EXTENSIONS})\b")
_FILE_NOUNS = r"files|modules|services|packages|repos"
_N_FILES = re.compile(
    r"\b(\d{1,4}|two|three|four|five|six|seven|eight|nine|ten|dozens of|hundreds of) "
    rf"(?:other |more |source |python |related )?(?:{_FILE_NOUNS})\b",
    re.IGNORECASE,
)
# Every match has a space before its noun: looked for first, as a literal space is found
# quickly, while the count pattern is tried at every word boundary.
_SPACE_FILE_NOUN = re.compile(rf" (?:{_FILE_NOUNS})\b", re.IGNORECASE)
_WORD_NUMBERS = {
    "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "dozens of": 24, "hundreds of": 200,
}  # fmt: skip

# Head/tail window for cue matching: instructions sit at the ends of a prompt.
_CUE_HEAD_CHARS = 4000
_CUE_TAIL_CHARS = 1500


@dataclass(frozen=True, slots=True)
class Signals:
    """What a request looks like, without any judgement of what tier it needs."""

    user_text: str = ""
    system_text: str = ""
    input_tokens: int = 0
    message_count: int = 0
    user_turns: int = 0
    tool_count: int = 0
    tool_names: tuple[str, ...] = ()
    # The tools whose name or description says they act in a way that is hard to undo.
    risky_tools: tuple[str, ...] = ()
    tool_results: int = 0
    forced_tool_choice: bool = False
    # Why Claude would refuse this conversation with thinking turned on ("" = it would not).
    thinking_conflict: str = ""
    images: int = 0
    documents: int = 0
    passages: int = 0
    code_blocks: int = 0
    code_lines: int = 0
    files_referenced: int = 0
    max_tokens: int | None = None
    output_length: OutputLength = "normal"
    thinking_requested: bool = False
    cues: frozenset[str] = frozenset()
    # The cues found in the system prompt alone (also part of ``cues``).
    system_cues: frozenset[str] = frozenset()
    # The user's own words ask for an action that is hard to undo (delete, send, pay...).
    action_requested: bool = False
    # The user's words only ask to look (a question, "show", "list", "check"...), no action.
    read_only_ask: bool = False
    # Rows of figures pasted in the user turn (a table, CSV, aligned columns), and labelled
    # blocks of prose ("Source 2 (survey, May): ...", "Interview 3: ..."): material that an
    # analysis or a synthesis works over, as much as an extraction does.
    table_rows: int = 0
    labelled_blocks: int = 0
    # How many distinct facets of an analysis the request asks to cover (risks, trade-offs,
    # options, sequencing, rollback, costs, scenarios...): a plan, memo or proposal that must
    # weigh several of them is planning, however it is phrased ("write a ... plan").
    analysis_facets: int = 0
    # The ask wants a small answer (see _SMALL_ANSWER).
    small_answer: bool = False

    def has(self, cue: str) -> bool:
        return cue in self.cues

    def cues_of(self, cls: str) -> tuple[str, ...]:
        """The cues found that are evidence for ``cls`` ("haiku", "sonnet" or "opus")."""
        return tuple(sorted(c for c in self.cues if CUE_CLASSES.get(c) == cls))

    def to_dict(self) -> dict[str, Any]:
        """The signals that are set (non-zero, non-empty), without any prompt text."""
        out: dict[str, Any] = {"input_tokens": self.input_tokens}
        for key in (
            "message_count", "user_turns", "tool_count", "tool_results", "images",
            "documents", "passages", "code_blocks", "code_lines", "files_referenced",
        ):  # fmt: skip
            value = getattr(self, key)
            if value:
                out[key] = value
        if self.tool_names:
            out["tool_names"] = list(self.tool_names)
        if self.risky_tools:
            out["risky_tools"] = list(self.risky_tools)
        if self.action_requested:
            out["action_requested"] = True
        if self.read_only_ask:
            out["read_only_ask"] = True
        if self.forced_tool_choice:
            out["forced_tool_choice"] = True
        if self.max_tokens is not None:
            out["max_tokens"] = self.max_tokens
        if self.output_length != "normal":
            out["output_length"] = self.output_length
        if self.thinking_requested:
            out["thinking_requested"] = True
        if self.cues:
            out["cues"] = sorted(self.cues)
        return out


def _texts(blocks: Iterable[Any]) -> list[str]:
    return [str(b["text"]) for b in blocks if is_mapping(b) and "text" in b]


def _cue_window(text: str) -> str:
    return _ends(text, _CUE_HEAD_CHARS, _CUE_TAIL_CHARS)


def prepare_cues() -> None:
    """Compile the cue scanner now (~0.1 s), so that the first request does not wait for it."""
    _SCANNER.prepare()
    _FACET_SCANNER.prepare()


# "How much is a day pass?", "how many vacation days do I get?" ask to look a figure up, not
# to work one out: "how much/how many" is a maths task only when the request gives a number to
# work with ("how many seconds are in 8 weeks?", a word problem's quantities), or with another
# maths cue (solve, an equation...). A number in a name still counts ("how much does the
# 10-visit card cost?" stays a maths cue).
_QUANTITY_ALTERNATIVES = ("how many|", "how much (?:\\w+ )?(?:will|does|did|is)|")
_MATH_TASK_BESIDES_QUANTITY = re.compile(
    whole_words(
        _CUE_SOURCE["math_task"]
        .replace(_QUANTITY_ALTERNATIVES[0], "")
        .replace(_QUANTITY_ALTERNATIVES[1], "")
    )
)
_GIVEN_NUMBER = re.compile(
    r"\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve"
    r"|fifteen|twenty|thirty|forty|fifty|hundred|thousand|million|half|twice|dozen|double"
    r"|triple)\b"
)


def _quantity_without_numbers(found: frozenset[str], window: str) -> frozenset[str]:
    """``found`` without ``math_task`` when only "how much/how many" made it and ``window``
    (lower case) gives no number to work with."""
    if "math_task" not in found or _MATH_TASK_BESIDES_QUANTITY.search(window):
        return found
    if _GIVEN_NUMBER.search(window):
        return found
    return found - {"math_task"}


# "Antworte auf Deutsch", "Réponds en français", "Always reply in English." say which language
# to answer in, not that something is to be translated: such a phrase is no translation cue
# (another translation cue in the same window still is).
# "into" after the verb, not after a reply or an answer named as the text to translate ("put
# my reply into German", round 18).
_NAMED_REPLY_INTO = "".join(
    f"(?<!{d} {n} into)"
    for d in ("my", "our", "the", "this", "your", "that")
    for n in ("reply", "answer")
)
_REPLY_LANGUAGE = re.compile(
    r"\b(?:answer|reply|respond|write|speak|talk|antwort\w*|schreib\w*|réponds|répondez"
    r"|répondre|écris|responde|responda|responder|contesta|escribe|rispondi|rispondete"
    r"|rispondere|scrivi|antwoord)(?: (?:always|only|immer|nur|bitte|toujours|uniquement"
    r"|siempre|solo|sempre|altijd|to (?:the |each )?\w+|au client|al cliente))*"
    r" (?:(?:in|into" + _NAMED_REPLY_INTO + r") (?:english|french|german|spanish|italian"
    r"|portuguese|dutch)\b|auf deutsch|en (?:français|español|inglés|anglais|francés|alemán"
    r"|allemand)|in (?:italiano|inglese)|in het (?:nederlands|engels))"
)
_TRANSLATION_RX = CUE_PATTERNS["translation"]


def _reply_language_only(found: frozenset[str], window: str) -> frozenset[str]:
    """``found`` without ``translation`` when only "answer in <language>" phrases made it
    (``window`` in lower case)."""
    if "translation" not in found or _REPLY_LANGUAGE.search(window) is None:
        return found
    if _TRANSLATION_RX.search(_REPLY_LANGUAGE.sub(" ", window)):
        return found
    return found - {"translation"}


# Words of debugging in other senses (round 16): a crash is a fault of software only when
# something that runs crashed, not a market, a car or a "crash course"; "with the exception
# of", "make an exception" are no exception raised; and "debug" as a setting's name or value
# ("LOG_LEVEL=debug", "debug: true", "DEBUG=1") describes pasted settings, not a fault.
_DEBUGGING_RX = CUE_PATTERNS["debugging"]
_CRASH = re.compile(r"\bcrash(?:es|ed|ing)?\b(?! course)|" + whole_words(_QUIT))
# A setting is a line of its own holding one key and one short value ("LOG_LEVEL=debug",
# "  debug: true") or a quoted key or value ('"mode": "DEBUG"'); "Debug: my loop never ends",
# "debugger: breakpoints are skipped" and "my app ignores DEBUG=1, why?" are faults told in
# prose. An exception thrown "for empty lists" or "to the caller" is raised; only one made,
# granted or "to the rule" is not.
_NOT_A_FAULT = re.compile(
    r"\bcrash course\b|\bwith the exception of\b"
    r"|\b(?:make|made|making|makes|grant|granted|granting|allow|allowed) an exception\b"
    r"|\b(?:an|the) exception (?:to|that proves) the rule\b"
    r"|^[ \t-]*[\"']?[\w.-]*[\"']?[ \t]*[=:][ \t]*[\"']?debug\w*[\"']?,?[ \t]*$"
    r"|^[ \t-]*[\"']?debug\w*[\"']?[ \t]*[=:][ \t]*[\"']?[\w.-]*[\"']?,?[ \t]*$"
    r"|[\"']debug\w*[\"'][ \t]*:|:[ \t]*[\"']debug\w*[\"']"
    # or one of several pairs on a line ("port=8080 debug=false name=shop")
    r"|(?:\b[\w.]+=[^\s=]*[ \t,;&]+)+(?:debug\w*=[^\s=]*|[\w.]+=debug\w*)"
    r"|(?:debug\w*=[^\s=]*|\b[\w.]+=debug\w*)(?:[ \t,;&]+[\w.]+=[^\s=]*)+",
    re.MULTILINE | re.IGNORECASE,
)
# What runs, and what is done to it, in the sentence of a crash ("the app crashes when I
# upload", "it crashed on login", "the build crashes").
_SOFTWARE = re.compile(
    r"\b(?:apps?|application|program|software|server|service|process|browser|build|tests?"
    r"|script|code|function|container|pod|kernel|driver|game|laptop|computer|pc|phone"
    r"|iphone|ipad|android|ios|device|database|query|page|website|site|api|deploy\w*"
    r"|release|version|update|upgrade|startup|login|log in|tab|editor|ide|compiler|plugin"
    r"|extension|worker|thread|job|node|python|java|excel|windows|macos|linux|firmware"
    # "IndexError", not "terror"; a program run, opened, loaded or clicked, not "running late"
    r"|desktop|(?!terror\b)\w*error|\w*exception|log|logs|stack|tap\w*|upload\w*"
    r"|sav(?:e|es|ed|ing)|(?:click|open|load|run)(?:s|ed|ing|ning)? (?:it|this|that|the|my|a"
    r"|an|our|any|some)|on (?:click|open|load|run)"
    r"|reload\w*|launch\w*|boot\w*|install\w*|segfault|memory|null|undefined"
    r"|mac|macbook|chrome|firefox|safari"
    # a crash that recurs, or follows what a user does, is a program's ("Chrome keeps
    # crashing", "Zoom crashes whenever I share my screen"), whatever the program is called
    r"|keeps? crashing|kept crashing|crash(?:es|ed|ing)? (?:constantly|randomly|repeatedly"
    r"|(?:whenever|every time|each time|as soon as|when) (?:i|we|you|they|users?|someone)))\b"
)
_SENTENCE_END = re.compile(r"[.!?\n]+")
# Log lines or error messages given to be labelled, routed, translated or mined ("Label each
# line as error, warning or info: TypeError: ..."): the printed errors are the material, not a
# fault to find (round 17).
_ASKS_OF_MATERIAL = frozenset({"classification", "triage", "translation", "extraction"})
_PRINTED_ERROR_RX = re.compile(whole_words(_PRINTED_ERROR))
# A thing called by its name, with no article, that crashes by itself ("Blender crashed twice
# while rendering", "Photoshop crashed and I lost my work", "Outlook crashes every morning"):
# an app, whatever it is called; a vehicle is "the car", and a person crashes into something
# or crashes the car.
_NAMED_CRASH = re.compile(
    r"(?<![\w'])(?<!\b[Tt]he )(?<!\b[Aa] )(?<!\b[Aa]n )(?<!\b[Mm]y )(?<!\b[Oo]ur )"
    r"(?!(?:I|We|They|He|She|You|Mom|Mum|Dad)\b)"
    r"[A-Z][a-z]*[A-Z0-9]?\w* (?:(?:just|also|again|always|still|often) )?(?:crash(?:es|ed)\b"
    # or quits by itself (round 17)
    # ("Skype quit unexpectedly"; not "closed": "Tesco closed unexpectedly" is a shop)
    r"|(?:shut|shuts) down\b|(?:quit|quits|froze|freezes)(?= (?:on its own"
    r"|by itself|out of nowhere|unexpectedly|without warning)))"
    r"(?! (?:into|in to|the|a|an|my|his|her|their|our|your|its|through|on the)\b)"
)


# Round 18: "Error: the limit is undefined at x = 0", "the ratio test fails with ...", "Newton's
# method crashes at x0 = 0": in a sentence of mathematics (a limit, a series, a derivative, a
# variable set to a value, sin(x)) that names no program, an error, a failure or a crash is
# the mathematics', not a fault of software to find. "ZeroDivisionError: ..." (a runtime's
# error type), code lines, "my code", "in Python", "my function" still are one.
_MATHS_SENTENCE = re.compile(
    # maths' own terms and notation; not "limit", "domain" or "series" alone ("requests over
    # the limit fail with error 413" is an API's limit)
    r"\b(?:derivatives?|integrals?|converges?|convergent|diverges?|divergent|asymptotes?"
    r"|taylor|polynomials?|theorem|ratio test|(?:sin|cos|tan|log|ln|sqrt|exp)\s*\("
    r"|f\s*\(\s*x\s*\)|[a-z]0?\s*(?:=|->|→)\s*-?(?:\d|pi\b|π|∞|infinity)|[a-z]\^\d|\d\s*/\s*[a-z]\b"
    r"|(?:standard|relative|absolute|rounding|round-off|truncation|sampling|mean|squared) error"
    r"|margin of error|type (?:i|ii|1|2) error|error (?:bound|term|estimate))",
    re.IGNORECASE,
)
_RUNS_CODE = re.compile(
    r"\b(?:code|script|program|python|numpy|scipy|pandas|matlab|javascript|java|excel|sql"
    r"|compiler|console|terminal|notebook|app|my (?:function|method|loop|implementation)"
    r"|traceback|stack ?trace|line \d+|throws?|raised?|segfault)\b"
    r"|\w[a-su-z0-9_]error:|\w+exception:|```",
    re.IGNORECASE,
)


# Sentences end at a stop before a space or the end, not inside "x = 0.5".
_STATEMENT_END = re.compile(r"[.!?]+(?=\s|$)|\n+")


def _not_a_maths_sentence(part: str) -> bool:
    return _MATHS_SENTENCE.search(part) is None or _RUNS_CODE.search(part) is not None


def _debugging_in_other_senses(found: frozenset[str], window: str) -> frozenset[str]:
    """``found`` without ``debugging`` when only words of debugging in other senses made it
    (``window`` as written): see _NOT_A_FAULT, _SOFTWARE, _NAMED_CRASH and _MATHS_SENTENCE;
    nor when only printed errors made it in a text asked to be labelled, routed, translated
    or mined (_ASKS_OF_MATERIAL)."""
    if "debugging" not in found:
        return found
    written = _NOT_A_FAULT.sub(" ", window)
    if _MATHS_SENTENCE.search(written) and not any(map(_CODE_START.match, written.splitlines())):
        written = " . ".join(
            part if _not_a_maths_sentence(part) else " " for part in _STATEMENT_END.split(written)
        )
    kept = written.lower()
    if _CRASH.search(kept) and not any(map(_CODE_START.match, kept.splitlines())):
        kept = " . ".join(
            part.lower()
            if _SOFTWARE.search(part.lower()) or _NAMED_CRASH.search(part)
            else _CRASH.sub(" ", part.lower())
            for part in _SENTENCE_END.split(written)
        )
    if found & _ASKS_OF_MATERIAL:
        kept = _PRINTED_ERROR_RX.sub(" ", kept)
    if _DEBUGGING_RX.search(kept):
        return found
    return found - {"debugging"}


def _scan(text: str) -> frozenset[str]:
    """The cues and output-size cues found in ``text``'s window."""
    if not text:
        return frozenset()
    return _window_cues(_cue_window(text))


def _window_cues(window: str) -> frozenset[str]:
    lower = window.lower()
    found = _reply_language_only(_quantity_without_numbers(_SCANNER.find(lower), lower), lower)
    return _debugging_in_other_senses(found, window) | _cjk_cues(window)


# A system prompt longer than this holds material besides its instructions: a RAG service's
# retrieved passages, a knowledge base, a policy. Its cues and facets are read in its first
# paragraph only (the service's instruction, within _SYSTEM_HEAD_CHARS), because words in the
# material ("strategy", "rollback", "dosage", "summary", a table of costs) describe the material,
# not the task: the user's question decides. Shorter system prompts (a labeler's instructions
# with their label list, a persona, a format) are read whole, as before.
_SYSTEM_WHOLE_CHARS = 2000
_SYSTEM_HEAD_CHARS = 600


def system_instruction(text: str) -> str:
    """The part of a system prompt that says what to do (see _SYSTEM_WHOLE_CHARS)."""
    if len(text) <= _SYSTEM_WHOLE_CHARS:
        return text
    head = text[:_SYSTEM_HEAD_CHARS]
    cut = head.find("\n\n")
    return head[:cut] if cut > 0 else head


# System prompts repeat across requests (a team has a few), and a long one costs a scan of
# the whole window: their findings are remembered, keyed by the window (at most 5.5k chars
# each, so ~1.5 MB when full; cleared when full, which keeps memory flat).
_SYSTEM_MEMO: dict[str, frozenset[str]] = {}
_SYSTEM_MEMO_LIMIT = 256


def _scan_system(text: str) -> frozenset[str]:
    window = _cue_window(system_instruction(text))
    found = _SYSTEM_MEMO.get(window)
    if found is None:
        found = _window_cues(window) if window else frozenset()
        if len(_SYSTEM_MEMO) >= _SYSTEM_MEMO_LIMIT:
            _SYSTEM_MEMO.clear()
        _SYSTEM_MEMO[window] = found
    return found


def thinking_conflict(messages: Sequence[Mapping[str, Any]]) -> str:
    """Why Claude would refuse these Converse turns with thinking on, or "".

    Thinking cannot continue an assistant prefill, and when the last assistant turn called
    tools (a tool loop in progress), that turn must begin with its thinking block, which a
    turn produced without thinking does not have.
    """
    if not messages:
        return ""
    if messages[-1].get("role") == "assistant":
        return "the conversation ends with an assistant prefill"
    for message in reversed(messages):
        if message.get("role") != "assistant":
            continue
        content = message.get("content") or []
        calls = any(is_mapping(b) and "toolUse" in b for b in content)
        thought = any(is_mapping(b) and "reasoningContent" in b for b in content)
        if calls and not thought:
            return "the last assistant turn called tools without thinking"
        break
    return ""


# A row of a table: three or more cells (split on |, tab, comma or runs of spaces), two of them
# holding figures.
_CELL_SPLIT = re.compile(r"\s*\|\s*|\t|,(?!\d{3}\b)|\s{2,}")
_FIGURE = re.compile(r"^[-+(]?[$€£]?\d[\d.,]*\s?(?:%|[kmb]|mio|eur|usd)?\)?$", re.IGNORECASE)
# A labelled block: "Label (detail): a sentence of prose", not "Subject: hi" or "Name: Sam".
_LABELLED = re.compile(r"^\s*[-*•]?\s*([^\n:|]{2,70}?):\s+(\S.{40,})$", re.MULTILINE)
_HEADER_LABELS = frozenset({"from", "to", "cc", "bcc", "subject", "date", "sent", "re", "fw"})


# What an ASCII line needs for _CELL_SPLIT to cut it at all: "|", a tab, a comma, or two
# white-space characters in a row (a line from splitlines() has no white space left but
# " ", tabs and \x1f). Without one it is one cell: no row, and no split to make.
_CELL_BREAKS = ("|", "\t", ",", "  ", "\x1f")


def _table_rows(text: str) -> int:
    rows = 0
    for line in text.splitlines():
        if len(line) > 400 or line.count(" ") > 40:
            continue  # prose, not a row
        if line.isascii() and not any(map(line.__contains__, _CELL_BREAKS)):
            continue
        cells = [c.strip() for c in _CELL_SPLIT.split(line.strip()) if c.strip()]
        if len(cells) >= 3 and sum(1 for c in cells if _FIGURE.match(c)) >= 2:
            rows += 1
    return rows if rows >= 2 else 0  # one line of figures is a list, not a table


def _labelled_blocks(text: str) -> int:
    return sum(
        1 for m in _LABELLED.finditer(text) if m.group(1).strip().lower() not in _HEADER_LABELS
    )


def _count_passages(text: str) -> int:
    # "\n" + text: a match starts at a line start, i.e. just after a "\n", and a pattern
    # that starts with a literal is searched for in C; it never ends on a "\n", so the
    # matches are those of "^" over the text itself.
    numbers = {int(a or b) for a, b in _PASSAGE_LINE.findall("\n" + text)}
    return max(len(numbers), len(_PASSAGE_TAG.findall(text)))


def _code_like(line: str) -> bool:
    """Whether one line (no line breaks) looks like code: it starts with a code keyword,
    ends with ";" or "{", or is a lone "}". ``\\s`` and str.strip() agree on whitespace."""
    if _CODE_START.match(line):
        return True
    end = line.rstrip()
    return end.endswith((";", "{")) or end.lstrip() == "}"


def _code_stats(text: str) -> tuple[int, int]:
    """(fenced blocks, code lines): lines inside fences plus code-like lines outside."""
    blocks = 0
    lines = 0
    inside = False
    loose = 0
    for line in text.splitlines():
        if _FENCE.match(line):
            inside = not inside
            blocks += 1 if inside else 0
            continue
        if inside:
            lines += 1 if line.strip() else 0
        elif _code_like(line):
            loose += 1
    # A stray code-looking line in prose is noise; three or more is pasted code.
    return blocks, lines + (loose if loose >= 3 else 0)


def _files_referenced(window: str) -> int:
    """Source files a request names, read in the user turn's cue window."""
    paths = len(set(_FILE_PATH.findall(window))) if _SOURCE_SUFFIX.search(window) else 0
    stated = 0
    counts = _N_FILES.findall(window) if _SPACE_FILE_NOUN.search(window) else []
    for word in counts:
        key = word.lower()
        stated = max(stated, int(key) if key.isdigit() else _WORD_NUMBERS.get(key, 0))
    return max(paths, stated)


def _output_length(found: frozenset[str]) -> OutputLength:
    if _SHORT in found:
        return "short"
    if _LONG in found:
        return "long"
    return "normal"


def _last_user_text(messages: Sequence[Mapping[str, Any]]) -> str:
    # In an agent loop the last user turn is often only tool results; the task is then the
    # most recent user turn that has text.
    for message in reversed(messages):
        if message.get("role") == "user":
            texts = _texts(message.get("content") or ())
            if texts:
                return "\n".join(texts)
    return ""


def _blocks(value: Any, where: str) -> list[Any]:
    """Content blocks of a message or system prompt; a plain string is one text block."""
    if value is None:
        return []
    if isinstance(value, str):
        return [{"text": value}] if value else []
    if isinstance(value, list | tuple):
        return list(value)
    raise InvalidRequestError(
        f"{where} must be a list of content blocks or a string, not {type(value).__name__}",
        hint='use [{"text": "..."}] (Converse content blocks) or a plain string',
    )


def normalize_request(request: Mapping[str, Any]) -> dict[str, Any]:
    """``request`` with string content (message ``content`` or ``system``) as text blocks.

    The doors and the Python API take what people write; routing reads Converse blocks.
    Anything else that is not a list of blocks is refused with an
    :class:`~tierwise.errors.InvalidRequestError`.
    """
    if not is_mapping(request):
        raise InvalidRequestError(
            f"a request must be a mapping of Converse fields, not {type(request).__name__}"
        )
    raw_messages = request.get("messages") or []
    if not isinstance(raw_messages, list | tuple):
        raise InvalidRequestError(
            f"messages must be a list, not {type(raw_messages).__name__}",
            hint='use [{"role": "user", "content": [{"text": "..."}]}]',
        )
    messages = []
    for i, message in enumerate(raw_messages):
        if not is_mapping(message):
            raise InvalidRequestError(
                f"messages[{i}] must be an object with role and content, "
                f"not {type(message).__name__}"
            )
        content = message.get("content")
        if isinstance(content, list):
            messages.append(message)
        else:
            messages.append({**message, "content": _blocks(content, f"messages[{i}].content")})
    out = {**request, "messages": messages}
    if "system" in request and not isinstance(request["system"], list):
        out["system"] = _blocks(request["system"], "system")
    return out


# Cues of a closed task with a small answer (a label, a field, a format, yes/no...), and of
# a reply to a customer (round 14): asked in the user turn, they say what this request is,
# whatever service it is sent to. A documentation service asked to draft a reply to a
# customer's message writes a support reply from its documentation; the docs are its
# material, as they are a label's or a lookup's.
_CLOSED_ASK_CUES = frozenset(c for c, tier in CUE_CLASSES.items() if tier == "haiku") | {
    "translation",
    "support_reply",
}


def request_cues(
    system_cues: frozenset[str], user_cues: frozenset[str], user_text: str = ""
) -> frozenset[str]:
    """The request's cues: the system prompt's and the user turn's (both cue names only).

    A RAG service's instruction ("answer using only the passages below") describes the
    service, not each request sent to it: when the user turn (``user_text``) asks for a
    closed task (a label from a list, a field, yes/no, a conversion, or a small answer: "the
    value only", "one word", "nothing else") or a reply to a customer, and does not itself
    ask to answer from the material, the system prompt's ``rag`` cue is not the request's
    (it stays a system cue, ``Signals.system_cues``). An open question under the same
    instruction keeps it.
    """
    if (
        "rag" in system_cues
        and "rag" not in user_cues
        and (user_cues & _CLOSED_ASK_CUES or _user_small_answer(user_text))
    ):
        return (system_cues - {"rag"}) | user_cues
    return system_cues | user_cues


# "Just the price.", "Only the id.", "The article number only." at the end of a sentence: the
# ask names the one thing to give back (any noun, unlike _SMALL_ANSWER's list).
_JUST_THE = re.compile(
    r"\b(?:just|only) (?:the|its|a) [\w-]+(?: [\w-]+)?[.!]?$|\bthe [\w-]+(?: [\w-]+)? only[.!]?$",
    re.IGNORECASE | re.MULTILINE,
)


def _user_small_answer(user_text: str) -> bool:
    """Whether the user turn's ask (its ends) wants a small answer (see _SMALL_ANSWER)."""
    ask = _ends(user_text, _ASK_CHARS, _ASK_CHARS, whole_up_to=3 * _ASK_CHARS)
    return _small_answer_in(ask) or _JUST_THE.search(ask) is not None


# An open ask: a question ("?", or an opening question word or "explain", "walk me through"
# in the languages of the cues), not an instruction to do something with the material.
_OPEN_ASK = re.compile(
    r"[?¿]|^\s*(?:how|what|why|when|where|which|who|explain|describe|walk me through|tell me"
    r"|help me understand|wie|warum|wieso|welche\w*|erklär\w*|comment|pourquoi|quel\w*"
    r"|explique\w*|cómo|como|qué|por qué|cuál\w*|explica\w*|perché|quale|spiega\w*"
    r"|hoe|wat|waarom|welke|leg uit"
    # German "was" and French/Spanish "que" ask only before what makes them the question
    # word: English "Was told to ...", "Que les réponses soient courtes", "Que el resumen
    # tenga tres puntos" ask nothing
    r"|was (?:ist|sind|bedeutet|bedeuten|passiert|macht|muss|soll|kann|heißt|gibt|steht"
    r"|tut|kostet|mache|tue|brauche)|que (?:signifie|veut dire|fait|faire|se passe|dois"
    r"|doit|faut-il|significa|quiere decir|hace|pasa|debo|hago"
    # advice asked with the verb first (round 15): "Que recommandez-vous ?", "Que
    # conseillez-vous ?", "Que pensez-vous de ...", "Que me recomiendas ?"
    r"|recommandez|recommandes|conseillez|conseilles|pensez|penses|me recomiendas"
    r"|recomiendas|me aconsejas|aconsejas))\b",
    re.IGNORECASE,
)


def _open_question(user_cues: frozenset[str], ask: str) -> bool:
    """Whether the ask of a user turn that pastes documentation is an open question about
    it, in no words of a task cue ("Walk me through descaling?" above a manual's chapters;
    not "Summarize this page", "The default timeout? Value only", "Fix the example"): a
    question to be answered from the material, though it names no passages."""
    if user_cues - {"rag"}:
        return False
    return _OPEN_ASK.search(ask) is not None and not _user_small_answer(ask)


# Cues of work on code: with one of them, code in pasted documentation is what to work on.
_CODE_TASK_CUES = frozenset({"routine_code", "debugging", "refactor", "codebase", "architecture"})

CodeStats = Callable[[str], tuple[int, int]]

# A fenced block of code, fences included.
_FENCED_BLOCK = re.compile(r"^[ \t]*(?:```|~~~).*?^[ \t]*(?:```|~~~)[^\n]*$", re.M | re.S)


def read_over_documentation(
    user_cues: frozenset[str], user_text: str, code_stats: CodeStats
) -> tuple[frozenset[str], tuple[int, int]]:
    """The user turn's cues and (code blocks, code lines) once documentation pasted beside
    the ask is read as such (core/pasted_docs): an open question about it is answered from
    it (the ``rag`` cue), and its code examples are material, as a table's figures are,
    unless the ask is about code. A turn that is mostly code is a pasted program, whose
    comments can look like headings. ``code_stats`` counts (blocks, lines) of a text.

    Code asked to be summarized or explained for a reader ("Explain what this module
    does", "¿Qué hace este código?"), with no cue of work on code, is material too: its
    fenced blocks are not counted (round 13: all 21 such asks went to ``routine_code``)."""
    code = code_stats(user_text)
    if code[1] and "summarization" in user_cues and not user_cues & _CODE_TASK_CUES:
        return user_cues, code_stats(_FENCED_BLOCK.sub("", user_text))
    ask = documentation_ask(user_text)
    if ask is None or code[1] * 2 > user_text.count("\n"):
        return user_cues, code
    if "rag" not in user_cues and _open_question(user_cues & _CUE_NAMES, ask):
        user_cues |= {"rag"}
    if not user_cues & _CODE_TASK_CUES:
        code = code_stats(ask)
    return user_cues, code


# --- round 15: asks read with no material beside them ----------------------------------

# A user turn this short pastes no material to summarize, convert or answer from.
_SHORT_ASK_CHARS = 300
# Words that point at given material ("this article", "cette page", "este correo").
_POINTS_AT_MATERIAL = re.compile(
    whole_words(
        r"this|these|that|the following|below|above|attached|este|esta|estos|estas|ese|esa"
        r"|dieser|diese|dieses|diesen|ce(?! que| qui| dont)|cette|ces|ci-dessous|questo"
        r"|questa|questi|queste|esse|essa|deze|dit"
    )
)
_BROADLY_RX = re.compile(whole_words(_BROADLY))
_SUMMARY_BESIDES_BROADLY = re.compile(
    whole_words(_CUE_SOURCE["summarization"].replace("|" + _BROADLY, ""))
)

# A title, a subject line or hashtags asked with the piece they go with ("Short email,
# subject line included", "Mit 3 passenden Hashtags", "with a catchy headline"): the piece
# is the work; a short form asked alone ("a subject line for this email") stays one.
_SHORT_FORM_ADDON = re.compile(
    whole_words(
        r"(?<!up )(?:with|plus|and|including|incl\.?|mit|avec|con|com) (?:a |an |the |one |\d+ )?"
        r"(?:[\w-]+ )?(?:subject line|title|headline|hashtags|tags|keywords|überschrift"
        r"|betreffzeile|titre|título|titolo)|(?:subject line|title|headline|hashtags)"
        r" (?:included|too|as well)"
    )
)
_SHORT_FORM_RX = CUE_PATTERNS["short_form"]

# A format named as the one to give something in ("give me that as YAML?", "same data as
# XML", "in TOML", "als YAML", "en CSV", "a JSON", "as a markdown table").
_AS_FORMAT = re.compile(
    whole_words(
        r"(?:as|in|into|to|als|en|a|para|zu) (?:an? |plain |valid )?(?:yaml|xml|toml|csv|tsv"
        r"|json|ini|markdown table)"
    )
)
# Structured data pasted: a JSON object, two lines of CSV, two KEY=value lines, a YAML key
# with a nested block, a markdown table.
_DATA_BLOCK = re.compile(
    r"[{\[]\s*\"[^\"\n]{1,40}\"\s*:\s*(?:\"|\d|-\d|true|false|null|\[|\{)"
    r"|^[^,\n]+(?:,[^,\n]*){2,}\n[^,\n]+(?:,[^,\n]*){2,}$"
    r"|^[A-Za-z_][\w.]*=[^\s=]*\n[A-Za-z_][\w.]*="
    r"|^[\w-]+:[ \t]*\n[ \t]+(?:- )?[\w-]+:"
    r"|^\|.*\|[ \t]*\n\|[ \t:|-]+\|",
    re.MULTILINE,
)
# A conversion asked as a how-to ("How do I turn a dataclass into a JSON string?", "Wie wandle
# ich in Java ein Objekt in JSON um?", "Comment convertir une chaîne en entier ?") with no data
# given and none pointed at asks how to write the code, not for data converted (round 17).
_HOW_TO = re.compile(
    whole_words(
        r"how (?:do|can|should|would|could) (?:i|we|you|one)|how to|what(?:'s| is) the (?:best"
        r"|easiest|cleanest|simplest|right|proper|fastest|idiomatic|recommended) way to"
        r"|is there a (?:way|library|function|method) to|wie (?:kann|soll|wandle|konvertiere"
        r"|mache|formatiere) (?:ich|man)|wie wandelt man|wie konvertiert man|cómo (?:convierto"
        r"|paso|puedo|se puede|hago|transformo)|comment (?:convertir|puis-je|peut-on|faire"
        r"|transformer)|como (?:converto|faço|posso)|come (?:converto|posso|si fa)"
        r"|hoe (?:kan ik|zet ik|converteer ik)"
    )
)
# "ok. now as yaml", "and in TOML?": the whole turn names the format (a few words besides
# it), the data came before.
_TERSE_ASK_WORDS = 3


def _terse_format_ask(ask: str) -> bool:
    return len(_AS_FORMAT.sub(" ", ask).split()) <= _TERSE_ASK_WORDS


# An open question about the world, with no material and in no words of a task: the class
# an explanation falls in ("general_qa"), whatever years, counts or sizes it names ("What
# happened in 1648?", "the 3 biggest changes"), which otherwise read like a word problem's.
EXPLANATION_ASK = "explanation_ask"
# Lines of pasted text (a snippet, a list) that make a short turn material, and the length
# past which a system prompt sets a task rather than a persona ("In this task, you are given
# two questions ... Your task is to combine ...").
_PASTED_LINES = 3
_PERSONA_CHARS = 200
_EXPLANATION_OPENER = re.compile(
    # at the start, after a short opening phrase and a comma or colon ("En líneas generales,
    # ¿por qué ...?", "Im Großen und Ganzen: Was ...?"), or after a sentence; not after a
    # longer instruction and a colon ("Rate the urgency of this message: Why was I ..."),
    # where quoted material begins
    r"(?:^(?:[^,.!?:;\n]{1,30}[,:]\s*)?|(?<=[.!?])\s+)(?:(?:ok(?:ay)?|so|hey|hi|also|and|but"
    r"|quick question|one more thing)\b[,:.!]*\s+)*[¿¡]?\s*(?:why|how come"
    r"|what (?:happened|changed|caused|causes|made|makes)"
    r"|what(?:'s| is| was| were| are)(?: actually| exactly| really)? the (?:story|difference"
    r"|differences|history|origin|origins|reason|reasons|point|deal|main|key|biggest|top"
    r"|most|first|\d+)|who (?:was|were|is|are|invented|discovered|built)"
    r"|how (?:do|does|did|is|are|was|were) (?!i\b|we\b|you\b|it possible\b)|when did"
    r"|is it true"
    r"|(?:can you )?explain (?:why|how|what|who|the)"
    r"|warum|wieso|weshalb|wie (?:funktioniert|funktionieren|kam|kommt|entsteht|entstand)"
    r"|was (?:ist|war|sind|waren|bedeutet|unterscheidet|passierte|geschah|hat sich)"
    r"|pourquoi|comment (?:fonctionne|marche|ça marche|se fait)|qu'est-ce qu|c'est quoi"
    r"|quel(?:le)?s? (?:ont été|étaient)|quel(?:le)?s sont les (?:raisons|causes|différences"
    r"|origines)|que (?:recommandez|conseillez|pensez|faut-il|se passe)|por qué|porqué"
    r"|cómo (?:funciona|funcionan|surgió)"
    r"|qué (?:pasó|ocurrió|es|son|fue|diferencia|me recomiendas|recomiendas)"
    r"|explíca\w*|por que|como funciona|o que (?:é|são|foi|aconteceu|você recomenda)"
    r"|perché|come (?:funziona|mai)|cosa (?:è|sono|succede|consigli\w*)|che cos"
    r"|was empfehlen sie"
    # Round 16: Dutch, and "what changed" in the other languages
    r"|waarom|hoe (?:werkt|komt|kwam|ontstond)|wat (?:is|was|zijn|waren|gebeurde|veranderde)"
    r"|qué (?:cambió|causó)|o que mudou|cosa (?:è cambiato|cambiò)|was (?:änderte|geschah)"
    r")\b"
)

# A calculation asked in no maths word (round 16): two or more quantities given (an amount
# of money, a percentage, a measure, a duration or a time of day; a year or a bare count is
# no quantity, nor is a network's "4G" or "5G", grams being "g") and a value asked of them
# (_VALUE_ASKED: "20% off a £84 jacket, then 10% more: what do I pay?", "Ça fait combien
# TTC ?", "Was habe ich nach 6 Jahren?").
_QUANTITY = re.compile(
    r"(?:[$€£¥]|r\$)\s?\d|\d(?:[\d.,]|\s(?=\d{3}\b))*\s?(?:%|°|€|£|\$"
    r"|(?:eur|euros?|usd|dollars?|gbp|pounds?|chf|yen|reais|pesos|percent|per cent|prozent"
    r"|pour ?cent|por ?ciento|per ?cento|procent|km/h|km/u|mph|km|m|cm|mm|m2|m²|kg|(?-i:g)|lb|lbs"
    r"|l|dl|ml|litres?|liters?|litros?|litri|gallons?|mi|miles?|ft|feet|h|hrs?|hours?|min"
    r"|mins|minutes?|minuten|minutos|minuti|stunden|heures|horas|ore|uur|days?|weeks?"
    r"|months?|years?|tage|wochen|monate|jahre|jahren|jours|semaines|mois|ans|días|semanas"
    r"|meses|años|giorni|settimane|mesi|anni|dias|anos|dagen|weken|maanden|jaar)\b)"
    r"|\b\d{1,2}:\d{2}\b|\b\d+[.,]\d+\b|\b\d+x\d+\b",
    re.IGNORECASE,
)


# Not a question why ("Why was I charged $12.99 when my plan is $9.99?" asks for a reason),
# nor a quoted message, which is material to label, translate or answer.
_WHY_OR_QUOTE = re.compile(
    r"\b(?:why|how come|warum|wieso|weshalb|pourquoi|por qué|porqué|por que|perché|waarom)\b"
    r"|[\"“”«»„]"
)


# The question asks for a value: an amount, a time, a result ("what do I pay?", "when does
# it arrive?", "what's the instalment?", "monthly repayment?", "combien", "wie viel", "was
# habe ich", "cuánto", "quante", "hoe laat"); not advice or a judgement over the same
# numbers ("I have $500 and 3 days in Paris, what should I do?", "is it normal ...?").
_VALUES = (
    r"price|cost|total|payment|repayment|instal?ments?|installments?|amount|salary|balance"
    r"|interest|sum|difference|share|percentage|fee|value|speed|distance|temperature|weight"
    r"|length|area|volume|net|gross|result|change|tip|bill|rate|return|profit|margin|average"
)
# The words that may stand before such a value say which one it is ("the monthly payment",
# "my net salary", "the final price"); a judgement ("the best area", "the right change", "which
# hotel rate is reasonable?") asks for advice over the numbers, and "which" chooses among
# options, not a value to work out (round 16 review).
_VALUE_KINDS = (
    r"monthly|weekly|daily|yearly|annual|hourly|total|final|new|net|gross|overall|remaining"
    r"|resulting|exact|expected|estimated|approximate|effective|average|actual|real|full"
    r"|original|discounted|sale|after-tax|pre-tax|combined|extra|additional|minimum|maximum"
)
_VALUE_ASKED = re.compile(
    r"\b(?:how (?:much|many|long|far|fast|old|big|heavy)|what time|at what time"
    r"|what (?:do|does|did|will|would|should) (?:i|we|you|they|he|she|each(?: \w+)?)"
    r" (?:pay|owe|get|earn|save|spend|end up with|have|need)"
    r"|when (?:do|does|will|would|did) (?:i|we|you|they|it|he|she|the \w+) (?:arrive|get"
    r"|land|finish|reach|be|end)"
    r"|what(?:'s| is| was| will be| would be| are)? (?:that|this|it) in"
    r"|by (?:what|how much)|what (?:percentage|percent|fraction|share)"
    rf"|what(?:'s| is| was| will be| would be| are)? (?:the |my |our |his |her"
    rf" |their |each )?(?:(?:{_VALUE_KINDS}) )?(?:{_VALUES})s?\b"
    rf"|(?:{_VALUES})s?\s*\?"
    r"|combien|à quelle heure|quel(?:le)? (?:est|sera) (?:le|la) (?:prix|total|montant|coût"
    r"|somme|salaire|mensualité|différence)"
    r"|wie ?viele?|was (?:kostet|kosten|zahle|zahlen|bekomme|habe|bleibt|macht|ergibt|verdiene)"
    r"|wann (?:komme|kommen|bin|sind)|um wie viel uhr"
    r"|cuánt[oa]s?|a qué hora|qué (?:cuota|precio|total)|cuál (?:es|será) (?:el|la) (?:precio"
    r"|total|cuota|importe)"
    r"|quant[oaie]|a che ora|qual è il (?:prezzo|totale)|a que horas|qual (?:o|a) (?:líquido"
    r"|valor|preço|total)"
    r"|hoeveel|hoe laat|wat kost|wat is (?:de|het) (?:prijs|totaal|bedrag))",
    re.IGNORECASE,
)


def _calculation_asked(text: str) -> bool:
    """Whether a short turn with no material gives two quantities and asks for a value
    (``text`` as written: a unit's case tells grams from a network generation)."""
    ask = text.lower()
    return (
        "?" in ask
        and len(_QUANTITY.findall(text)) >= 2
        and _WHY_OR_QUOTE.search(ask) is None
        and _VALUE_ASKED.search(ask) is not None
    )


# Round 18: small talk in a sentence with no greeting word to open or close it ("guess what, I
# finally got the job!!", "happy friday!! any plans for the weekend?", "you've been really
# helpful this week", "lol ok you win that one", "Bonne soirée, à demain !", "Na, wie läuft's
# bei dir so?"), in a short turn with no material, tools, instruction or other cue; the phrase
# opens the turn or the turn asks nothing ("Ideas for a happy new year card?" asks for ideas).
# In a turn that asks, the phrase must stand as a sentence of its own (punctuation after it)
# with no asking word before it, or be a question itself ("wie läuft's"): else the words are
# part of the question ("Can you win an appeal...?", "Happy birthday paradox: why...?", "See
# you later alligator - where does that saying come from?", "How do I have a good day at...?").
_SMALL_TALK_CHARS = 120
_SMALL_TALK = re.compile(
    whole_words(
        r"guess what(?=\s*(?:[,!.:?]|$))|happy (?:friday|monday|weekend|holidays|new year"
        r"|birthday|easter|christmas)"
        r"|you(?:'ve| have) been (?:\w+ )?(?:helpful|great|amazing|a star|a big help)"
        r"|you(?:'re| are) (?:a star|the best|amazing|awesome|a lifesaver)|you win"
        r"|(?:made|make|making) my day|see you (?:tomorrow|later|soon|monday)"
        r"|have a (?:good|great|nice|lovely) (?:day|evening|weekend|one)"
        r"|bonne (?:soirée|journée|nuit|semaine)|à (?:demain|plus|bientôt)"
        r"|bis (?:morgen|später|bald)|wie läuft'?s|schönen (?:abend|tag|feierabend)"
        r"|me alegraste el día|buen(?:as noches|os días|as tardes)|hasta (?:mañana|luego)"
        r"|qué bueno|buona (?:serata|giornata|notte)|a domani|boa (?:noite|tarde)|até amanhã"
    )
)


# A turn that quotes the phrase or asks for something written or explained about it ("Write a
# happy birthday message", "Ideas for a happy new year card?", "Is 'see you later' rude?").
_ABOUT_THE_PHRASE = re.compile(
    whole_words(
        r"write|draft|ideas?|suggest\w*|explain|meaning|means?|idiom|phrase|card|message|post"
        r"|email|e-mail|caption|poem|song|rude|polite|formal|translate|reply|answer|respond"
    )
    + r"|[\"“”«»„]"
)


_ASKING_WORD = re.compile(
    whole_words(r"can|could|do|does|did|how|why|what|when|where|will|would|should|is|are")
)
_SENTENCE_ENDS = re.compile(r"\s*(?:[!.,;:…]|$)")
_A_QUESTION_ITSELF = re.compile(r"wie läuft")


def _small_talk(user_text: str) -> bool:
    if len(user_text) > _SMALL_TALK_CHARS:
        return False
    lower = user_text.lower()
    found = _SMALL_TALK.search(lower)
    if found is None or _ABOUT_THE_PHRASE.search(lower) is not None:
        return False
    if "?" not in lower:
        return True
    return (
        found.start() <= 15
        and _ASKING_WORD.search(lower, 0, found.start()) is None
        and (
            _A_QUESTION_ITSELF.match(found.group()) is not None
            or _SENTENCE_ENDS.match(lower, found.end()) is not None
        )
    )


# Round 18 (the lead's reading): a short question whether to do X, or X or Y, with no figures
# and no material ("Should we lease or buy the delivery vans?", "Should we refinance the loan
# now or wait a year?", "¿Conviene rotar las guardias cada semana o cada mes?") asks for advice
# (an open question, ``general_qa``, Sonnet), not for the analysis of a decision: a one-line
# question with nothing given to weigh does not need Opus. Naming two options does not make it
# a decision. It stays one when the turn gives figures (three or more quantities), points at
# given material ("given these numbers"), asks for what an analysis gives (options, costs,
# risks, trade-offs, a comparison, a timeline, a memo, a recommendation), or asks "what would
# you do / choose?" after listing options (round 17; the decision cue's own words).
_ANALYSIS_ASKED = re.compile(
    whole_words(
        r"options?|alternatives|costs?|risks?|trade-?offs?|pros and cons|pros/cons|scenarios?"
        r"|compare|comparison|criteria|timeline|memo|brief|assumptions|impact|budget"
        r"|recommendations?|analy[sz]\w*|weigh\w*|optionen|kosten|risiken|vor- und nachteile"
        r"|opciones|costes|costos|riesgos|ventajas|options|coûts|risques|avantages|opções"
        r"|custos|riscos|vantagens|opzioni|costi|rischi|vantaggi"
    )
)


# Words that point at figures or options given elsewhere ("given these numbers", "the options
# below"); not "that" or "this" ("is that too early?", "this year").
_POINTS_AT_GIVEN = re.compile(
    whole_words(
        r"these|those|the following|below|above|attached|given (?:the|this)|diese[ns]?|estos"
        r"|estas|ces|questi|queste|estes|deze"
    )
)
# The questions that ask whether to do something; "what would you do / choose?" after options
# given is a choice among them, and stays a decision (round 17).
_ADVICE_QUESTION = re.compile(
    whole_words(
        r"should (?:we|the company|the team|the board|management)|conviene|vale a pena"
        r"|lohnt (?:sich|es sich)|is (?:it|this|that) (?:a good idea|worth (?:it|doing))"
    )
)


def _advice_asked(user_text: str) -> bool:
    """Whether a short turn with no material is a question asking whether to do something,
    with nothing to weigh (see _ANALYSIS_ASKED) and no other words of a decision."""
    lower = user_text.lower()
    return (
        lower.rstrip().endswith("?")
        and _ADVICE_QUESTION.search(lower) is not None
        and CUE_PATTERNS["decision"].search(_ADVICE_QUESTION.sub(" ", lower)) is None
        and _POINTS_AT_GIVEN.search(lower) is None
        and len(_QUANTITY.findall(user_text)) < 3
        and _ANALYSIS_ASKED.search(lower) is None
    )


# Material an extraction works over, in the user turn: words pointing at given text ("from this
# email", "the text below", "the attached", "the following", "ci-dessous", "este correo"; in
# English "this"/"these"/"that" only before a word for a text, since "extract the rules of this
# system" points at nothing given), a colon followed by what to mine, or quoted text.
_TEXT_NOUNS = (
    r"(?:[\w-]+ )?(?:texts?|e-?mails?|mails?|messages?|letters?|documents?|docs?|files?|pdfs?"
    r"|pages?|articles?|passages?|excerpts?|paragraphs?|tables?|spreadsheets?|csv|json|xml"
    r"|html|logs?|log lines?|transcripts?|reports?|invoices?|receipts?|contracts?|forms?"
    r"|snippets?|notes?|posts?|reviews?|threads?|chats?|records?|dataset|responses?|payloads?"
    r"|resumes?|cvs?|statements?|markdown|screenshots?|images?|attachments?|listings?"
    r"|tickets?|memos?|filings?|abstracts?|papers?|menus?|brochures?|manuals?|labels?"
    # in the other languages of the cues
    r"|textos?|texte|correos?|courriels?|facturas?|factures?|fatturas?|fatture|rechnung(?:en)?"
    r"|documentos?|dokument(?:e|s)?|schreiben|briefe?|nachrichten?|mensajes?|lettres?|cartas?"
    r"|lettera|vertrag|verträge|contrat|contrato|contratto|informe|rapport|bericht|tabelle"
    r"|tabla|tableau|tabella|página|seite|artículo|artikel|articolo|protokoll|verslag|tekst)"
)
# Words that a text was given, pointed at with a demonstrative: "these lines", "this data".
_GIVEN_PARTS = r"(?:[\w-]+ )?(?:lines?|rows?|columns?|entries|data|output|content|one|ones|list)"
_POINTS_AT_TEXT = re.compile(
    whole_words(
        r"(?:this|these|that|those|the|my|our|his|her|their|your) (?:[\w-]+ )?"
        r"(?:following|attached|above|below|given|provided|pasted|enclosed|included)"
        r"|(?:this|these|that|those) "
        + _GIVEN_PARTS
        + r"|(?:this|these|that|those|the|my|our|your|his|her|their|its|a|an|la|le|les|l'|el|los"
        r"|las|del|du|des|der|die|das|dem|den|il|lo|gli|della|dello|o|os|as|do|da|dos|das|het"
        r"|de|een|un|une|uno|una|ein|eine|einem|einer|diesem) "
        + _TEXT_NOUNS
        + r"|the following|below|above|attached|enclosed|here(?:'s| is| are)"
        r"|(?:named|mentioned|listed) here|(?:in|from|out of) (?:it|them)"
        # the other languages' pointers, as _POINTS_AT_MATERIAL's
        r"|este|esta|estos|estas|ese|esa|dieser|diese|dieses|diesen|diesem|ce(?! que| qui"
        r"| dont)|cette|ces|ci-dessous|siguiente|suivant|folgenden|seguente|seguinte|questo"
        r"|questa|questi|queste|esse|essa|deze|dit"
    ),
    re.IGNORECASE,
)
# The bare verb, in the cue's languages: the word that asks to "extract the rules" or "the key
# lessons" of something never given; the cue's other phrases name what a text holds.
_EXTRACT_VERB = re.compile(
    r"extract(?:s|ed|ing|ion)?|extrahier\w*|extrai[rs]|extraire|extrayez|extraia|extrae[rn]?"
    r"|estrai\w*"
)
_COLON_THEN_TEXT = re.compile(r":\s*\S.{19,}|[\"“«'‘][^\"”»'’\n]{20,}[\"”»'’]", re.DOTALL)
_EXTRACTION_RX = CUE_PATTERNS["extraction"]
_TEXT_BEFORE_ASK_CHARS = 120
_SENTENCE_OPENS = re.compile(r"[.!?]\s+(?:please\s+|now\s+|then\s+)?$", re.IGNORECASE)


def _extraction_without_material(user_text: str, attached: bool) -> bool:
    """Whether the user turn asks to extract with nothing to extract from (round 18): no
    pasted lines, code or data, no text pointed at, after a colon or quoted, none before the
    ask and no document, search result or tool result (``attached``) in the request. "Extract
    the key lessons from the 2008 crisis", "extract the rules for phasing the cutover of our
    billing system" ask to work something out, not to pull it out of given material."""
    if attached or "```" in user_text or user_text.count("\n") >= _PASTED_LINES:
        return False
    if _DATA_BLOCK.search(user_text) or _POINTS_AT_TEXT.search(user_text):
        return False
    if _COLON_THEN_TEXT.search(user_text):
        return False
    found = list(_EXTRACTION_RX.finditer(user_text.lower()))
    if not found or not all(_EXTRACT_VERB.fullmatch(m.group(0)) for m in found):
        return False
    first = found[0]
    # A text pasted before the ask ends on an earlier line ("<an email>\n\nExtract the name
    # and phone as JSON.") or is a paragraph the ask follows as a sentence of its own ("<a
    # note>. Extract the people and dates."); a paragraph that tells of a system and then
    # asks to "propose how to extract the rules" gives no text to extract from.
    before = user_text[: first.start()]
    return "\n" not in before and not (
        len(before) >= _TEXT_BEFORE_ASK_CHARS and _SENTENCE_OPENS.search(before) is not None
    )


def reread_ask(
    user_cues: frozenset[str],
    user_text: str,
    system_text: str,
    system_cues: frozenset[str],
    tools: bool,
    *,
    attached: bool = False,
) -> frozenset[str]:
    """The user turn's cues once its ask is read against the material it has, or lacks
    (round 15):

    - "a grandes rasgos", "in groben Zügen", "dans les grandes lignes" over no material and
      pointing at none ask for a short explanation, not a summary: no ``summarization``;
    - a format named as the one to give the data in, beside pasted data or as the whole
      turn ("{...}\n\nGive me that as YAML?", "ok. now as yaml"), with no other cue, is a
      conversion (``format_conversion``); "classify these ... give me the result as JSON"
      has its own cue and stays a label;
    - an open question about the world (why, what happened, how does, pourquoi, por qué,
      "Que recommandez-vous pour ...?") with no material, no tools and no cue of any task is
      an explanation asked (``explanation_ask``);
    - otherwise, such a turn that gives two quantities and asks for a value is a calculation
      (``math_task``, round 16: see _calculation_asked).
    """
    if "short_form" in user_cues:
        window = _cue_window(user_text).lower()
        if (
            _SHORT_FORM_RX.search(window) is not None
            and _SHORT_FORM_RX.search(_SHORT_FORM_ADDON.sub(" ", window)) is None
        ):
            user_cues = user_cues - {"short_form"}
    # Past these lengths the turn or the system prompt holds material, and is not lowered
    # whole below (a request of 20k tokens costs no more than before).
    material = len(user_text) > _SHORT_ASK_CHARS or len(system_text) > _SYSTEM_WHOLE_CHARS
    lower = "" if material else user_text.lower()
    if (
        "summarization" in user_cues
        and not material
        and _BROADLY_RX.search(lower) is not None
        and _POINTS_AT_MATERIAL.search(lower) is None
        and _SUMMARY_BESIDES_BROADLY.search(lower) is None
    ):
        user_cues = user_cues - {"summarization"}
    if (
        "format_conversion" in user_cues
        and not material
        and _HOW_TO.search(lower) is not None
        and _POINTS_AT_MATERIAL.search(lower) is None
        and _DATA_BLOCK.search(user_text) is None
        and user_text.count("\n") < _PASTED_LINES
    ):
        user_cues = user_cues - {"format_conversion"}
    if (
        "extraction" in user_cues
        and "extraction" not in system_cues
        and len(system_text) <= _PERSONA_CHARS
        and _extraction_without_material(user_text, attached)
    ):
        user_cues = user_cues - {"extraction"}
    pasted = "```" in user_text or user_text.count("\n") >= _PASTED_LINES
    instructed = len(system_text) > _PERSONA_CHARS
    bare = not (material or pasted or instructed or tools or system_cues)
    if bare and user_cues & _CUE_NAMES == {"decision"} and _advice_asked(user_text):
        return user_cues - {"decision"} | {EXPLANATION_ASK}
    if user_cues & _CUE_NAMES:
        return user_cues
    ask = _ends(user_text, _ASK_CHARS, _ASK_CHARS, whole_up_to=3 * _ASK_CHARS).lower()
    if (
        _AS_FORMAT.search(ask)
        and not _user_small_answer(user_text)
        and (_terse_format_ask(ask) or _DATA_BLOCK.search(user_text))
    ):
        return user_cues | {"format_conversion"}
    if bare and _small_talk(user_text):
        return user_cues | {"chit_chat"}
    if bare:
        if _EXPLANATION_OPENER.search(lower):
            return user_cues | {EXPLANATION_ASK}
        if _calculation_asked(user_text):
            return user_cues | {"math_task"}
    return user_cues


_USER_CUE_NAMES = _CUE_NAMES | {EXPLANATION_ASK}


def extract_signals(request: Mapping[str, Any]) -> Signals:
    """The :class:`Signals` of a Converse request (``messages``, ``system``, ``toolConfig``...).

    Message content and ``system`` may be plain strings (read as one text block each).
    """
    request = normalize_request(request)
    messages: Sequence[Mapping[str, Any]] = request["messages"]
    system_text = "\n".join(_texts(request.get("system") or ()))
    user_text = _last_user_text(messages)

    images = documents = tool_results = search_results = 0
    for message in messages:
        for block in message.get("content") or ():
            if not is_mapping(block):
                continue
            images += "image" in block
            documents += "document" in block
            tool_results += "toolResult" in block
            search_results += "searchResult" in block

    tool_config: Mapping[str, Any] = request.get("toolConfig") or {}
    specs = [
        t["toolSpec"]
        for t in tool_config.get("tools") or ()
        if is_mapping(t) and isinstance(t.get("toolSpec"), Mapping)
    ]
    names = tuple(str(spec.get("name", "")) for spec in specs)
    described = [
        (name, str(spec.get("description") or "")) for name, spec in zip(names, specs, strict=True)
    ]
    risky = tuple(name for name, text in described if is_destructive_tool(name, text))
    choice = tool_config.get("toolChoice") or {}
    inference: Mapping[str, Any] = request.get("inferenceConfig") or {}
    raw_max = inference.get("maxTokens")
    max_tokens = int(raw_max) if isinstance(raw_max, int | float) else None
    extra: Mapping[str, Any] = request.get("additionalModelRequestFields") or {}

    in_system = _scan_system(system_text)
    window = _cue_window(user_text)  # once: the cue scan and the readers below share it
    in_user = _window_cues(window) if user_text else frozenset()
    in_user, (blocks, code_lines) = read_over_documentation(in_user, user_text, _code_stats)
    system_cues = in_system & _CUE_NAMES
    # Material may come in blocks or earlier turns rather than in the user turn's text.
    attached = bool(documents or search_results or tool_results or images) or len(messages) > 1
    in_user = reread_ask(
        in_user, user_text, system_text, system_cues, bool(names), attached=attached
    )
    passages = max(_count_passages(user_text), _count_passages(system_text)) + search_results
    confirmed = _confirms_proposal(messages, user_text)
    asked = (_ACT in in_user and _asks_action(window.lower())) or confirmed is _Confirms.ACT
    forced_single = ("any" in choice or "tool" in choice) and len(names) == 1
    if not asked and described and not forced_single:
        # To an agent, an instruction whose verb neither looks, makes or edits something, nor
        # asks about a state changes something, whether or not a list holds the verb
        # ("Promote build 5521 to production?", "Yank 4.2.0?"): core/instruction_verbs.
        # So does a state the user wants things left in (round 18, _WANTED_STATE); when the
        # turn asks to look, the state is mostly the answer's ("List the accounts... I don't
        # want it as a table", "Show me... I need the list back within the hour"), and only
        # one wanted of a person counts (_PERSON_WANTED_GONE).
        asked = asks_unlisted_change(window, _READ_LEAD) or _wants_a_state(
            window, looking=_read_only_ask(user_text)
        )
    if asked:
        # A command line or a raw HTTP tool can do what is asked: risky when an action is.
        risky += tuple(
            name for name, text in described if name not in risky and is_general_tool(name, text)
        )
        if not risky:
            # No tool says it acts: one that does not only read is the one that would.
            risky = tuple(name for name, text in described if may_act(name, text))
    return Signals(
        user_text=user_text,
        system_text=system_text,
        input_tokens=count_request(request),
        message_count=len(messages),
        user_turns=sum(1 for m in messages if m.get("role") == "user"),
        tool_count=len(names),
        tool_names=names,
        risky_tools=risky,
        tool_results=tool_results,
        forced_tool_choice="any" in choice or "tool" in choice,
        thinking_conflict=thinking_conflict(messages),
        images=images,
        documents=documents,
        passages=passages,
        code_blocks=blocks,
        code_lines=code_lines,
        files_referenced=_files_referenced(window),
        max_tokens=max_tokens,
        output_length=_output_length(in_system | in_user),
        thinking_requested="thinking" in extra,
        cues=request_cues(system_cues, in_user & _USER_CUE_NAMES, user_text),
        system_cues=system_cues,
        action_requested=asked,
        read_only_ask=not asked and (confirmed is _Confirms.LOOK or _read_only_ask(user_text)),
        table_rows=_table_rows(window),
        labelled_blocks=_labelled_blocks(window),
        analysis_facets=_analysis_facets(system_text, user_text),
        small_answer=_small_answer(system_text, user_text),
    )
