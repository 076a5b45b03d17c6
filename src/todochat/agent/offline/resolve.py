"""Finding the task the user means: by name (fuzzy), by position, by "it"."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import fuzz

Task = dict[str, Any]

_STOPWORDS = frozenset(
    "a an the my to for of on in at with and or task tasks todo one item about called named".split()
)


def _words(text: str) -> list[str]:
    return [w for w in re.findall(r"[a-z0-9]+", text.lower()) if w not in _STOPWORDS]


def _stem(word: str) -> str:
    for suffix in ("ies", "es", "s", "ing", "ed"):
        if len(word) > len(suffix) + 2 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def _word_matches(query_word: str, title_word: str) -> bool:
    """Same word, up to plurals, a typo, or a prefix ("groc" for "groceries")."""
    if query_word == title_word or _stem(query_word) == _stem(title_word):
        return True
    if len(query_word) >= 4 and title_word.startswith(query_word):
        return True
    if len(query_word) >= 4 and len(title_word) >= 4:
        return fuzz.ratio(query_word, title_word) >= 80
    return False


def coverage(query: str, title: str) -> float:
    """Share of the query's words found in the title (typo tolerant)."""
    query_words = _words(query)
    title_words = _words(title)
    if not query_words:
        return 0.0
    found = sum(1 for q in query_words if any(_word_matches(q, t) for t in title_words))
    return found / len(query_words)


def similarity(query: str, task: Task) -> float:
    """0-100: how well a phrase fits a task's title."""
    title = str(task.get("title", ""))
    return max(
        coverage(query, title) * 100 - 1,  # a full word match beats an equal fuzzy score
        float(fuzz.WRatio(query.lower(), title.lower())) * 0.9,
    )


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
    full = [t for t in tasks if coverage(name, str(t.get("title", ""))) == 1.0]
    if full:
        return Matches(found=full)
    scored = sorted(((similarity(name, t), t) for t in tasks), key=lambda pair: -pair[0])
    if scored and scored[0][0] >= 78:
        best = scored[0][0]
        return Matches(found=[t for score, t in scored if score >= best - 5])
    return Matches(suggestions=[t for score, t in scored[:3] if score >= 45])


def prefer_status(tasks: list[Task], completed: bool) -> list[Task]:
    """Among equally good matches keep the ones it makes sense to act on, if any."""
    preferred = [t for t in tasks if bool(t.get("completed")) is completed]
    return preferred or tasks


def search(query: str, tasks: list[Task]) -> list[Task]:
    """Tasks about a topic: words found in the title, description or tags (typo tolerant)."""
    hits = []
    for task in tasks:
        text = " ".join(
            [str(task.get("title", "")), str(task.get("description") or ""), *map(str, task.get("tags") or [])]
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
