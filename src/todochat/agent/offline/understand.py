"""What the user wants: normalize the message, then read it with the intent table."""

from __future__ import annotations

import re
from functools import cache

from rapidfuzz import process
from rapidfuzz.distance import OSA

from .intent import TARGETED, Action, Filter, Intent
from .phrases import VOCABULARY_PATTERNS, clean_name, parse_target
from .rules import OPEN_ENDED, RULES
from .words import expand_shorthand, is_word, respell

__all__ = ["Action", "Intent", "lookup", "normalize", "understand"]

_LEAD_RE = re.compile(
    r"^(?:(?:hey|hi|hello|ok(?:ay)?|ok so|so|um+|uh+|hmm+|well|alright|right|now|also|and|then|no|nah|nope"
    r"|oh|ah|nvm|never\s*mind|nevermind|yay+|woo+(?:hoo+)?|phew|ugh|omg|fyi|tbh"
    r"|actually|wait|oops|sorry(?!\s+to\s+(?:bother|trouble))|no wait|oh wait|btw|by the way|one more thing|another thing"
    r"|yo|great|cool|thanks|thank you|todochat|assistant|bot|yes|yeah|yep|yup|sure)\b[\s,!.:-]*"
    r"|(?:scratch|strike)\s+that\s*[,;.!-]+\s*(?=\S)"
    r"|(?:please|pls|plz|kindly|just|quickly|maybe|perhaps|probably)\b\s*"
    r"|(?:can|could|would|will|wld)\s+(?:you|u|ya)\s+(?:please\s+|pls\s+|kindly\s+|possibly\s+|maybe\s+|just\s+)?"
    r"|(?:you|u)\s+(?:can|could|may|might\s+as\s+well)\s+(?:now\s+|just\s+|go\s+ahead\s+and\s+)?(?=\w+\s+\w)"
    r"|(?:i'?d|i\s+would)\s+like\s+(?:you\s+)?to\s+|i\s+(?:want|wanna)\s+(?:you\s+)?(?:to\s+)?|i\s+need\s+(?:you|u)\s+to\s+"
    r"|(?:let'?s|lets)\s+|go\s+ahead\s+and\s+|help\s+me\s+(?=add|list|show|find|delete|remove)"
    r"|i'?m\s+going\s+to\s+(?=add|delete|remove|mark)|(?:do\s+)?me\s+a\s+favou?r\s+and\s+"
    r"|(?:if\s+(?:it'?s|it\s+is)\s+not\s+too\s+much\s+(?:trouble|bother)|if\s+you\s+(?:don'?t|do\s+not)"
    r"\s+mind|if\s+(?:possible|you\s+can|you\s+could)|when\s+you\s+(?:get|have)\s+a\s+(?:chance|moment|sec(?:ond)?|minute)"
    r"|sorry\s+to\s+(?:bother|trouble)\s+you(?:\s+again)?)\b[\s,]*"
    r"|(?:(?:would|could|will)\s+you\s+)?be\s+(?:so\s+kind|kind\s+enough|good\s+enough)\s+(?:as\s+)?to\s+"
    r"|i\s+was\s+(?:wondering|hoping)\s+(?:if|whether)\s+you\s+(?:could|can|would|might)\s+"
    r"|i\s+(?:just\s+)?(?:wanted|want|need)\s+to\s+(?:let\s+you\s+know|tell\s+you|say)\s+(?:that\s+)?)",
    re.I,
)
_TRAIL_RE = re.compile(
    r"(?:[\s,]+(?:please|pls|plz|for\s+me|thanks|thank\s+you|thx|ty|if\s+you\s+can|now|asap\s*please|instead|then|too|as\s+well)"
    r"|[\s,.!?;-]+(?:thanks?|thank\s+you|thx|ty|cheers)(?:\s+(?:so|very)\s+much|\s+a\s+lot"
    r"|\s+again|\s+in\s+advance|\s+(?:mate|buddy|man))*"
    r"|[\s,.!]+(?:lol|lmao|haha+|hehe+|rofl|xd|yay+|woo+(?:hoo+)?|phew|ugh|omg|tbh|fyi|:d)"
    r"|\s*[.!?]+|\s*:\)|\s*🙏)\s*$",
    re.I,
)


# Verbs a request starts with; a misspelt first word ("delte", "compelte") is read as the nearest.


_COMMAND_VERBS = (
    "add create delete remove show list complete mark rename change update finish reopen display"
    " cancel search find remind".split()
)


# Words too short for a spelling distance to be safe ("bad" is one letter from "add").
_SHORT_TYPOS = {"ad": "add", "lst": "list", "shw": "show", "sho": "show", "dlt": "delete"}


def _fix_verb(text: str) -> str:
    first, _, rest = text.partition(" ")
    word = first.lower()
    if rest and word in _SHORT_TYPOS:
        return f"{_SHORT_TYPOS[word]} {rest}"
    if len(word) < 4 or not word.isalpha() or word in _known_words():
        return text
    allowed = 1 if len(word) < 6 else 2
    best = process.extractOne(word, _COMMAND_VERBS, scorer=OSA.distance, score_cutoff=allowed)
    return f"{best[0]} {rest}".strip() if best else text


@cache
def _known_words() -> frozenset[str]:
    """Every word the rules spell out: those are never typos ("move" is not "remove")."""
    words = {w for rule in RULES for w in re.findall(r"[a-z]{3,}", rule.pattern.pattern)}
    return frozenset(words)


# "would you mind deleting …": the request in its plain form ("delete …").
_MIND_RE = re.compile(
    r"^(?:(?:would|do|will)\s+(?:you|u)\s+mind|(?:please\s+)?try)\s+(?P<verb>[a-z]+?)(?:ing)\b\s*",
    re.I,
)
_GERUND_STEMS = {
    "add": "add",
    "delet": "delete",
    "remov": "remove",
    "mark": "mark",
    "show": "show",
    "list": "list",
    "complet": "complete",
    "renam": "rename",
    "chang": "change",
    "updat": "update",
    "putt": "put",
    "creat": "create",
    "mov": "move",
    "tick": "tick",
    "check": "check",
    "clear": "clear",
    "push": "push",
    "mak": "make",
    "sett": "set",
    "tagg": "tag",
    "reopen": "reopen",
    "cancel": "cancel",
    "cancell": "cancel",
}


def _plain_verb(text: str) -> str:
    match = _MIND_RE.match(text)
    if match and (verb := _GERUND_STEMS.get(match.group("verb").lower())):
        return f"{verb} {text[match.end() :]}".strip()
    return text


# "that one's done", "it's done": a pointing word's "'s" is "is" (a name's "'s" stays: "mom's").
_POINTER_IS_RE = re.compile(
    r"\b(it|that(?:\s+one)?|this(?:\s+one)?|the\s+(?:last|first)\s+one)'s"
    r"(?=\s+(?:now\s+|all\s+|already\s+|finally\s+|actually\s+)?(?:done|finished|complete|completed"
    r"|sorted|ticked|checked|crossed|not|no\s+longer|handled|taken\s+care)\b)",
    re.I,
)


def normalize(message: str) -> str:
    """Straighten quotes, squeeze spaces, drop politeness around the request."""
    text = message.replace("\u2019", "'").replace("\u2018", "'").replace("“", '"').replace("”", '"')
    text = _POINTER_IS_RE.sub(r"\1 is", text)
    text = _fix_verb(re.sub(r"\s+", " ", text).strip())
    for _ in range(4):
        before = text
        text = _plain_verb(_LEAD_RE.sub("", _plain_verb(text), count=1).strip())
        text = _TRAIL_RE.sub("", text).strip()
        if text == before:
            break
    return _fix_verb(text)


_SMALL_TALK = frozenset({"help", "thanks", "greet", "bye", "cancel", "affirm"})


def _light(message: str) -> str:
    """The message with only outer punctuation and emoji removed, for small talk."""
    text = re.sub(r"\s+", " ", message.replace("\u2019", "'")).strip()
    return re.sub(r"^[^\w?#]+|[^\w?#)]+$", "", text).strip()


_COMPOUND_RE = re.compile(
    r"^(?P<context>.+)(?:[,;.?!]+\s*|\s+-\s+|\s+(?:so|and(?:\s+then)?)\s+)(?:so\s+|please\s+|can\s+you\s+)?(?P<command>[^,;.?!]+)$",
    re.I,
)
_CONTEXT_NOISE_RE = re.compile(
    r"^(?:(?:i\s+haven'?t|i\s+have\s+not|i\s+didn'?t|i\s+did\s+not|i(?:'ve|\s+have|\s+had)?|what\s+about|how\s+about|about|regarding|as\s+for)\s+)+"
    r"(?:just\s+|already\s+|actually\s+|finally\s+|not\s+)?(?:(?:finished|completed|done\s+with)\s+)?"
    r"|\s+(?:yet|already|today|now|after\s+all|anyway|last\s+night|this\s+(?:morning|afternoon)"
    r"|yesterday|earlier(?:\s+today)?)$",
    re.I,
)


def _compound(text: str) -> Intent | None:
    """ "walked the dog, mark it done": the command says what, the clause before it says which."""
    match = _COMPOUND_RE.match(text)
    if not match:
        return None
    command = _from_rules(normalize(match.group("command")))
    if command is None or command.action not in TARGETED or not command.target.pronoun:
        return None
    last_clause = re.split(r"[,;.!?]+\s*", match.group("context").strip(" ,;.!?"))[-1]
    context = normalize(last_clause)
    for _ in range(3):
        context = _CONTEXT_NOISE_RE.sub("", context).strip()
    said = _from_rules(context)
    if said is not None and (
        said.action == Action.LIST or (said.action == Action.ADD and not said.errand)
    ):
        return None  # "add buy milk and tag it shopping" is one request
    if said is not None and said.action in TARGETED and not said.target.empty:
        target = said.target  # "the bookshelf isn't urgent, set it to low"
    else:
        target = parse_target(context)
    if target.empty or target.pronoun:
        return None
    if target.name and not target.loose:
        target.loose = context  # words of the statement, tried when the name finds nothing
    command.target = target
    return command


# "delete buy milk, i already have some": a reason after the request is not part of the name.
_REASON_RE = re.compile(
    r"^(?P<request>[^\"'“]+?)\s*(?:[,;]|\s-|\s+(?=because\b|since\b|as\s+i\b|cause\b|cos\b))\s*"
    r"(?P<reason>(?:because|since|as|cause|cos|i|i'm|i've|i'd|i\s+already|we|we're|we've|it's|its"
    r"|it|that's|they|they're|he|she|he's|she's|already|no\s+longer|not\s+needed)\b[^\"'“]*)$",
    re.I,
)


_REASONED = frozenset({Action.COMPLETE, Action.REOPEN, Action.DELETE})


def _without_reason(text: str) -> Intent | None:
    """A change request followed by why ("…, she called back"), read without the why."""
    match = _REASON_RE.match(text)
    if not match:
        return None
    intent = _from_rules(match.group("request").strip())
    if intent is None or intent.action not in _REASONED or intent.target.empty:
        return None  # an update's new value is free text: "rename it to call mom, she's waiting"
    return intent


def _from_rules(text: str) -> Intent | None:
    """The intent of the first rule that fits the (normalized) text."""
    for rule in RULES:
        match = rule.pattern.match(text)
        if not match:
            continue
        intent = rule.build(match)
        if intent is None:
            continue
        if intent.action in TARGETED and intent.target.empty and rule.name not in OPEN_ENDED:
            continue
        if rule.name == "add-need" and re.match(
            r"^(?:add|create|delete|remove|mark|complete|rename|change|update|list|show|see|view)\b",
            match.group("body"),
            re.I,
        ):
            return _from_rules(
                match.group("body")
            )  # "I need to delete task 3": a request after all
        return intent
    return None


# Pictographs, dingbats and their joiners: "laundry done ✅", "thanks 👍".
_EMOJI_RE = re.compile(
    r"[\u2190-\u21ff\u2300-\u23ff\u2600-\u27bf\u2b00-\u2bff\U0001f000-\U0001faff\ufe0f\u200d]+"
)


def _without_emoji(text: str) -> str:
    return re.sub(r"\s+", " ", _EMOJI_RE.sub(" ", text)).strip()


# A short noun phrase asked as a question ("milk?", "dentist appointment?"): look it up.
_LOOKUP_RE = re.compile(
    r"^(?!(?:what|why|how|who|where|when|which|huh|eh|really|seriously|is|are|do|does|did|can"
    r"|could|will|would|should|and|or|so|then|ok|okay|sure|right|yes|no|me|you|it|that|this"
    r"|anything|something|everything|hello|hi|hey)\b)"
    r"(?P<q>[\w'&-]+(?:\s+[\w'&-]+){0,2})\s*\?+$",
    re.I,
)


def lookup(message: str) -> Intent | None:
    """A search for a message no rule understood that is a short noun question ("milk?")."""
    match = _LOOKUP_RE.match(
        _light(_without_emoji(message)) + "?" if message.strip().endswith("?") else ""
    )
    query = clean_name(match.group("q")) if match else ""
    return Intent(Action.LIST, filter=Filter(query=query)) if query else None


def understand(message: str) -> Intent:
    """Read one user message into an intent (UNKNOWN when no rule fits)."""
    # Long words are distinctive enough to put right before reading ("priorty", "compelted").
    message = respell(expand_shorthand(message), REQUEST_WORDS, shortest=6)
    intent = _understand_keeping_emoji(message)
    if intent.action == Action.UNKNOWN:
        # "shwo my taks": read again with misspelt words put right against the vocabulary.
        respelt = respell(message, _vocabulary())
        if respelt != message:
            return _understand_keeping_emoji(respelt)
    return intent


# Words of requests that no task name is likely to be one typo away from: put right always.
REQUEST_WORDS = frozenset(
    """priority deadline description complete completed pending tomorrow tonight delete remove
    update rename reschedule postpone important urgent overdue finished remaining outstanding
    unfinished incomplete weekend morning evening afternoon reminder reminders schedule""".split()
)


@cache
def _vocabulary() -> frozenset[str]:
    """The words requests are made of (verbs, list and status words, dates), spelt right."""
    patterns = [rule.pattern.pattern for rule in RULES]
    patterns += [p.pattern for p in VOCABULARY_PATTERNS]
    words = {w for p in patterns for w in re.findall(r"[a-z]{4,}", p)}
    return frozenset(w for w in words if is_word(w))


def _understand_keeping_emoji(message: str) -> Intent:
    plain = _without_emoji(message)
    if plain and plain != message.strip():
        intent = _understand(plain)
        if intent.action == Action.ADD:
            kept = _understand(message)  # a new task keeps its emoji in the title
            return kept if kept.action == Action.ADD else intent
        return intent
    return _understand(message)


def _understand(message: str) -> Intent:
    light = _light(message)
    for rule in RULES:
        if rule.name in _SMALL_TALK and (match := rule.pattern.match(light)):
            intent = rule.build(match)
            if intent is not None:
                return intent
    text = normalize(message)
    if not text:
        if re.search(r"\b(?:hi|hello|hey|morning|evening)\b", light, re.I):
            return Intent(Action.GREET)
        if light:
            return Intent(Action.THANKS)  # only politeness words: "ok thanks!", "great, cool"
        return Intent(Action.UNKNOWN)
    found = _compound(text) or _without_reason(text) or _from_rules(text)
    if found is not None:
        return found
    # "hey! can you help me get organized? add laundry and gym": the request is one sentence.
    sentences = [s for s in re.split(r"(?<=[.!?])\s+", text) if s.strip()]
    if len(sentences) > 1:
        for sentence in reversed(sentences):
            intent = understand(sentence)
            if intent.action not in _CHATTER:
                return intent
    # "So I've been thinking about my week, so would you mind deleting the gym task?": a long
    # message whose last clause is the request.
    clauses = [c for c in _CLAUSE_RE.split(sentences[-1] if sentences else text) if c.strip()]
    if len(clauses) > 1:
        intent = understand(clauses[-1])
        if intent.action not in _CHATTER and intent.action != Action.SELECT:
            return intent
    return Intent(Action.UNKNOWN)


_CHATTER = (Action.UNKNOWN, Action.GREET, Action.THANKS, Action.HELP)
_CLAUSE_RE = re.compile(
    r"\s*[,;:]\s*(?:(?:and\s+)?so\s+|but\s+)?|\s+-\s+|\s+so\s+(?=can|could|would|will|please)", re.I
)


# "add milk and mark the dentist task done": two requests, each starting with its own verb.
_SECOND_REQUEST_RE = re.compile(
    r"(?:\s*[,;]\s*(?:and\s+)?(?:then\s+)?|\s+and\s+(?:then\s+|also\s+)?|\s+then\s+|\.\s+|\s+also\s+)"
    r"(?=(?:please\s+)?(?:add|create|delete|remove|mark|complete|tick\s+off|rename|change|update"
    r"|make|set|move|push|postpone|reschedule|show|list|tag|reopen|put)\b)",
    re.I,
)
_NAMES_A_TASK_RE = re.compile(r"\b(?:tasks?|todos?|to-dos?|items?|number)\b|#\s*\d|\b\d+\b", re.I)
_MULTI = frozenset(
    {Action.ADD, Action.LIST, Action.COMPLETE, Action.REOPEN, Action.DELETE, Action.UPDATE}
)


def split_requests(message: str) -> list[str] | None:
    """Two requests in one message, when each half is a whole request on its own."""
    text = re.sub(r"\s+", " ", message).strip()
    for match in _SECOND_REQUEST_RE.finditer(text):
        first, second = text[: match.start()].strip(), text[match.end() :].strip()
        if not first or not second or _inside_quotes(first):
            continue
        one, two = understand(first), understand(second)
        if one.action not in _MULTI or two.action not in _MULTI:
            continue
        if two.target.pronoun or (two.action == Action.UPDATE and two.target.empty):
            continue  # "add buy milk and tag it shopping" is one request
        if one.action in TARGETED and one.target.empty:
            continue
        if two.action in TARGETED and (
            two.target.empty or two.target.group or two.target.every_shown
        ):
            continue  # a change to many tasks is asked for on its own, never tacked on
        if (
            one.action == Action.ADD
            and two.action in TARGETED
            and not _NAMES_A_TASK_RE.search(second)
        ):
            continue  # "add update the website and remove old posts" is one new task
        rest = split_requests(second)
        return [first, *(rest or [second])]
    return None


def _inside_quotes(before: str) -> bool:
    """True when a quotation opened in this text is not closed yet."""
    straight = before.count('"') % 2 == 1
    curly = before.count("“") > before.count("”") or before.count("\u2018") > before.count("\u2019")
    single = len(re.findall(r"(?:^|\s)'", before)) > len(re.findall(r"'(?=\s|$|[,.;!?])", before))
    return straight or curly or single
