"""Finding the task the user means: by name (fuzzy), by position, by "it"."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from rapidfuzz import fuzz
from rapidfuzz.distance import OSA

from .words import allowed_typos, lemma

Task = dict[str, Any]

_STOPWORDS = frozenset(
    "a an the my to for of on in at with and or task tasks todo one item about called named".split()
)


# Titles and words repeat from step to step; caching keeps a step well under a millisecond.
@lru_cache(maxsize=8192)
def _words(text: str) -> tuple[str, ...]:
    return tuple(w for w in re.findall(r"[a-z0-9]+", text.lower()) if w not in _STOPWORDS)


@lru_cache(maxsize=8192)
def _stem(word: str) -> str:
    """The word's dictionary form ("groceries" -> "grocery", "paid" -> "pay"), else a crude stem."""
    base = lemma(word)
    if base != word:
        return base
    if word.endswith("ied") and len(word) > 4:
        return word[:-3] + "y"
    for suffix in ("ies", "es", "s", "ing", "ed"):
        if len(word) > len(suffix) + 2 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


# Verbs that name the same errand ("got the groceries" is "Buy groceries" done): one table.
_SYNONYM_GROUPS = [
    "buy get grab purchase pick",
    "call ring phone",
    "email mail",
    "fix repair mend",
    "clean tidy",
    "vacuum hoover",
    "send post",
    "book reserve schedule",
    "doctor gp",
    "mom mum mother",
    "dad father",
]
_SYNONYMS = {word: group for group, words in enumerate(_SYNONYM_GROUPS) for word in words.split()}


@lru_cache(maxsize=65536)
def _word_matches(query_word: str, title_word: str) -> bool:
    """Same word, up to its form ("paid"/"pay"), a typo, or a prefix ("groc" for "groceries")."""
    if query_word == title_word or _stem(query_word) == _stem(title_word):
        return True
    if _SYNONYMS.get(_stem(query_word), -1) == _SYNONYMS.get(_stem(title_word), -2):
        return True
    if len(query_word) >= 4 and title_word.startswith(query_word):
        return True
    if len(query_word) >= 4 and len(title_word) >= 4:
        typos = min(allowed_typos(query_word), allowed_typos(title_word))
        return (
            fuzz.ratio(query_word, title_word) >= 80
            or OSA.distance(query_word, title_word) <= typos
        )
    return False


@lru_cache(maxsize=65536)
def coverage(query: str, title: str) -> float:
    """Share of the query's words found in the title (typo tolerant)."""
    query_words = _words(query)
    title_words = _words(title)
    if not query_words:
        return 0.0
    found = sum(1 for q in query_words if any(_word_matches(q, t) for t in title_words))
    return found / len(query_words)


def similarity(query: str, task: Task) -> float:
    """0-100: how well a phrase fits a task's title (whole words first, then spelling)."""
    title = str(task.get("title", ""))
    query_in_title = coverage(query, title)
    title_in_query = coverage(title, query)
    if query_in_title == 1.0:
        return 100.0
    if title_in_query == 1.0 and query_in_title >= 0.6:
        return 90.0  # the title plus a word or two ("buy the milk thing")
    spelled = fuzz.token_sort_ratio(" ".join(_words(query)), " ".join(_words(title)))
    return max(float(spelled), query_in_title * 80)


@dataclass
class Matches:
    """Tasks that fit a name: the chosen ones, or else the close calls to suggest."""

    found: list[Task] = field(default_factory=list)
    suggestions: list[Task] = field(default_factory=list)


def find_by_name(name: str, tasks: list[Task]) -> Matches:
    """Tasks whose title fits the name; several means the user must choose."""
    wanted = " ".join(_words(name)) or name.lower().strip()
    exact = [t for t in tasks if " ".join(_words(str(t.get("title", "")))) == wanted]
    if exact:
        return Matches(found=exact)
    scored = sorted(((similarity(name, t), t) for t in tasks), key=lambda pair: -pair[0])
    if scored and scored[0][0] >= 85:
        best = scored[0][0]
        return Matches(found=[t for score, t in scored if score >= best - 5 and score >= 85])
    return Matches(suggestions=[t for score, t in scored[:3] if score >= 45])


# Words of chat that say nothing about which task ("decided", "really", "after all").
_CHATTER_WORDS = frozenset(
    """i me my you your it its this that these those is isn't was are be been being have has had do
    does did done not no yes so just really actually after all anyway decided think thought guess
    maybe now today yesterday tomorrow still yet already lol haha ok okay well like want need
    can could would should will won't don't didn't can't for off list mark tick check remove
    delete take plans changed again thing stuff""".split()
)


def shares_a_word(statement: str, task: Task) -> bool:
    """True when a distinctive word of the statement (4+ letters) is in the task's title."""
    title_words = _words(str(task.get("title", "")))
    words = [
        w
        for w in re.findall(r"[a-z']+", statement.lower())
        if len(w) >= 4 and w not in _CHATTER_WORDS
    ]
    return any(_word_matches(w, t) for w in words for t in title_words)


def prefer_status(tasks: list[Task], completed: bool) -> list[Task]:
    """Among equally good matches keep the ones it makes sense to act on, if any."""
    preferred = [t for t in tasks if bool(t.get("completed")) is completed]
    return preferred or tasks


def search(query: str, tasks: list[Task]) -> list[Task]:
    """Tasks about a topic: words found in the title, description or tags (typo tolerant)."""
    hits = []
    for task in tasks:
        text = " ".join(
            [
                str(task.get("title", "")),
                str(task.get("description") or ""),
                *map(str, task.get("tags") or []),
            ]
        )
        if coverage(query, text) == 1.0 or fuzz.partial_ratio(query.lower(), text.lower()) >= 90:
            hits.append(task)
    return hits


def at_positions(positions: list[int], shown: list[int]) -> list[int] | None:
    """Ids at 1-based positions (negative from the end) of the list shown; None if out of range."""
    ids = []
    for position in positions:
        index = position - 1 if position > 0 else len(shown) + position
        if not 0 <= index < len(shown):
            return None
        ids.append(shown[index])
    return list(dict.fromkeys(ids))
