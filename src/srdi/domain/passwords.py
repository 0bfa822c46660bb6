"""Whether a password is guessable: a common word, name or keyboard walk dressed up with digits and symbols.

Use ``guessable(password, personal=(username, organisation))`` from a password validator; it returns why the
password is guessable (a ``Guessable``) or None. Length and character classes are checked elsewhere: this module
catches what passes them and still falls to the first guesses of a cracking tool — ``Password123!``,
``Admin@123456``, ``P@ssw0rd2024``, ``Qwerty123!``, ``Hangzhou2026!``, ``1qaz2wsx!@#``, the username inside.

The rules, applied to the lower-cased password:

1. the *core* — what is left after removing digits and symbols at either end (each cut tried, so that a leading
   ``$`` may still be an s) — read with leetspeak undone
   (``@``/``4`` → a, ``0`` → o, ``1`` → i or l, ``3`` → e, ``5``/``$`` → s, ``7``/``+`` → t, ``!``/``|`` → i or
   l …) is a bundled word of at least four letters: zxcvbn's lists (30,000 common passwords, 30,000 English
   words, names, surnames, film and TV words — about 90,000) plus ``reference_data/password_words_zh.txt``
   (pinyin of places and common pinyin phrases);
2. the core, or the whole password, is made only of keyboard walks (runs of at least three neighbouring keys
   on a QWERTY keyboard, shifted or not: ``qwerty``, ``1qaz2wsx``, ``!@#$``) or of a repeated or consecutive
   sequence (``aaaa``, ``abcd``, ``1234``);
3. the username, a part of it or of the organisation (at least three characters) appears inside, also with
   leetspeak undone.

No network is used; the lists are read once and kept in memory (about 10 MB).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from functools import cache
from importlib import resources
from itertools import pairwise

from zxcvbn.adjacency_graphs import ADJACENCY_GRAPHS
from zxcvbn.frequency_lists import FREQUENCY_LISTS

MIN_WORD = 4  # a core shorter than this is not looked up (too many short words are in the lists)
MIN_RUN = 3  # a keyboard walk or sequence counts from this many characters
MIN_PERSONAL = 3  # username / organisation parts shorter than this are not looked for

# Each leet character and the letters it may stand for.
LEET: dict[str, str] = {
    "@": "a",
    "4": "a",
    "0": "o",
    "1": "il",
    "!": "il",
    "|": "il",
    "3": "e",
    "5": "s",
    "$": "s",
    "7": "t",
    "+": "t",
}
_ENDS = re.compile(r"^[^a-z]+|[^a-z]+$")
_NOT_LETTERS = "".join(chr(c) for c in range(33, 127) if not chr(c).isalpha()) + " "
MAX_CUT = 12  # digits/symbols cut off each end at most, when looking for the word inside
_PARTS = re.compile(r"[^0-9a-z\u4e00-\u9fff]+")
_MAX_VARIANTS = 64


class Guessable(enum.Enum):
    """Why a password is refused; ``message`` is shown to the user."""

    COMMON_WORD = "common_word"
    KEYBOARD_WALK = "keyboard_walk"
    PERSONAL = "personal"

    @property
    def message(self) -> str:
        return {
            Guessable.COMMON_WORD: "密码以常见单词、人名、地名或常用密码为主体（仅在前后加数字、符号或做字母替换），容易被猜中",
            Guessable.KEYBOARD_WALK: "密码由键盘上相邻的按键或连续、重复的字符组成，容易被猜中",
            Guessable.PERSONAL: "密码中包含用户名或单位名称，容易被猜中",
        }[self]


@cache
def words() -> frozenset[str]:
    """Every bundled word of at least ``MIN_WORD`` characters, lower case."""
    bundled = resources.files("srdi.reference_data").joinpath("password_words_zh.txt").read_text("utf-8")
    extra = (line.strip().lower() for line in bundled.splitlines() if not line.startswith("#"))
    lists: list[Iterable[str]] = [*FREQUENCY_LISTS.values(), extra]
    return frozenset(w for words_ in lists for w in words_ if len(w) >= MIN_WORD)


@cache
def longest_word() -> int:
    """The length of the longest bundled word: longer middle parts cannot be one."""
    return max(map(len, words()))


@cache
def _neighbours() -> dict[str, frozenset[str]]:
    """For each character, the characters on the same key or a neighbouring key (QWERTY, shifted or not)."""
    graph = ADJACENCY_GRAPHS["qwerty"]
    keys: dict[str, str] = {}  # character -> both characters of its key ("1!" ...)
    for near in graph.values():
        for key in near:
            if key:
                for ch in key:
                    keys[ch] = key
    result: dict[str, set[str]] = {}
    for ch, near in graph.items():
        found = result.setdefault(ch, set(keys.get(ch, ch)))
        for key in near:
            if key:
                found.update(key)
    return {ch: frozenset(chars) for ch, chars in result.items()}


def unleet(text: str) -> set[str]:
    """Every reading of ``text`` with leet characters replaced by the letters they stand for (bounded)."""
    readings = [""]
    for ch in text:
        options = LEET.get(ch, ch)
        readings = [r + o for r in readings for o in options][:_MAX_VARIANTS]
    return set(readings)


def core(text: str) -> str:
    """``text`` (lower case) without the digits and symbols at both ends."""
    return _ENDS.sub("", text)


def _may_be_letter(ch: str) -> bool:
    return ch.isalpha() or ch in LEET


def cores(text: str) -> set[str]:
    """Every middle part of ``text`` (at least ``MIN_WORD`` long) left after cutting digits and symbols off
    either end — also those that could be leet letters (``$uper…``, ``…m@n``) — up to ``MAX_CUT`` each side."""
    lead = len(text) - len(text.lstrip(_NOT_LETTERS))
    trail = len(text) - len(text.rstrip(_NOT_LETTERS))
    found = set()
    for i in range(min(lead, MAX_CUT) + 1):
        for j in range(min(trail, MAX_CUT) + 1):
            middle = text[i : len(text) - j]
            if (
                MIN_WORD <= len(middle) <= longest_word()
                and _may_be_letter(middle[0])
                and _may_be_letter(middle[-1])
            ):
                found.add(middle)
    return found


def _step(a: str, b: str) -> bool:
    """Whether ``b`` may follow ``a`` inside a walk: a neighbouring key, the same character, or the next one."""
    if a == b or b in _neighbours().get(a, frozenset()):
        return True
    return a.isalnum() and b.isalnum() and abs(ord(a) - ord(b)) == 1


def only_walks(text: str) -> bool:
    """Whether ``text`` is made only of walks/sequences of at least ``MIN_RUN`` characters."""
    if len(text) < MIN_RUN:
        return False
    run = 1
    for a, b in pairwise(text):
        if _step(a, b):
            run += 1
        else:
            if run < MIN_RUN:
                return False
            run = 1
    return run >= MIN_RUN


def _personal_parts(personal: Iterable[str]) -> set[str]:
    parts: set[str] = set()
    for value in personal:
        text = (value or "").strip().lower()
        if not text:
            continue
        candidates = {text, *_PARTS.split(text)}
        parts.update(p for p in candidates if len(p) >= MIN_PERSONAL)
    return parts


def guessable(password: str, personal: Iterable[str] = ()) -> Guessable | None:
    """Why ``password`` is guessable (see the module docstring), or None when no rule applies."""
    lower = password.lower()
    middle = core(lower)
    bank = words()
    for candidate in cores(lower):
        if any(reading in bank for reading in unleet(candidate)):
            return Guessable.COMMON_WORD
    if only_walks(lower) or (len(middle) >= MIN_WORD and only_walks(middle)):
        return Guessable.KEYBOARD_WALK
    readings = {lower, *unleet(lower)}
    for part in _personal_parts(personal):
        if any(part in reading for reading in readings):
            return Guessable.PERSONAL
    return None
