"""Word forms and spelling: dictionary forms of words, and misspelt words put right."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

import simplemma
from rapidfuzz.distance import OSA


@lru_cache(maxsize=65536)
def lemma(word: str) -> str:
    """The dictionary form of an English word ("groceries" -> "grocery", "paid" -> "pay")."""
    return str(simplemma.lemmatize(word.lower(), lang="en")).lower()


@lru_cache(maxsize=65536)
def is_word(word: str) -> bool:
    """True when the word is English as written (not a typo)."""
    return bool(simplemma.is_known(word.lower(), lang="en"))


def allowed_typos(word: str) -> int:
    """Edits a word of this length may be off by and still be recognised (0 under 4 letters)."""
    return 0 if len(word) < 4 else 1 if len(word) < 7 else 2


def nearest(word: str, vocabulary: Iterable[str]) -> str | None:
    """The vocabulary word this misspelling means; letters swapped win a tie ("taks" -> "task")."""
    limit = allowed_typos(word)
    if not limit:
        return None
    found = [
        (known, OSA.distance(word, known))
        for known in vocabulary
        if abs(len(known) - len(word)) <= limit
    ]
    found = [(known, distance) for known, distance in found if distance <= limit]
    if not found:
        return None
    letters = sorted(word)
    best = min(
        found, key=lambda hit: (hit[1], sorted(hit[0]) != letters, abs(len(hit[0]) - len(word)))
    )
    return best[0]


_TOKEN_RE = re.compile(r"[A-Za-z]+")


def respell(text: str, vocabulary: frozenset[str], shortest: int = 4) -> str:
    """The text with each unknown word (of `shortest`+ letters) put right against the vocabulary."""

    def fix(match: re.Match[str]) -> str:
        word = match.group(0)
        lower = word.lower()
        if len(lower) < shortest or lower in vocabulary or is_word(lower):
            return word
        return nearest(lower, vocabulary) or word

    return _TOKEN_RE.sub(fix, text)


lemma("tasks")  # the dictionary loads on first use (~0.5 s): at import, not in a user's turn


# Chat spellings, said in full: one table, read as whole words.
SHORTHAND = {
    "teh": "the",
    "u": "you",
    "ur": "your",
    "r": "are",
    "abt": "about",
    "pls": "please",
    "plz": "please",
    "thx": "thanks",
    "bc": "because",
    "cuz": "because",
    "coz": "because",
    "b4": "before",
    "2day": "today",
    "2nite": "tonight",
    "im": "i'm",
    "ive": "i've",
    "dont": "don't",
    "didnt": "didn't",
    "havent": "haven't",
    "hasnt": "hasn't",
    "isnt": "isn't",
    "wasnt": "wasn't",
    "cant": "can't",
    "wont": "won't",
    "whats": "what's",
    "thats": "that's",
    "w/": "with",
}
_SHORTHAND_RE = re.compile(
    r"(?<![\w'])(?:" + "|".join(map(re.escape, SHORTHAND)) + r")(?![\w'])", re.I
)


def expand_shorthand(text: str) -> str:
    """ "did u do teh laundry" -> "did you do the laundry"."""
    return _SHORTHAND_RE.sub(lambda m: SHORTHAND[m.group(0).lower()], text)
