"""Which of many whole-word patterns occur in a text, found in one pass over it.

Routing looks for ~30 cue patterns in every request. Searching for each in turn costs one
full regex scan per pattern, because :mod:`re` cannot skip ahead to candidate positions
for a pattern that starts with a lookbehind: ~14 ms over the 5,500-character cue window of
a long request. :class:`CueScanner` compiles all of them into one pattern that tries every
cue at each word start, and rewrites their alternatives so the regex engine rejects almost
all of them on the first character without entering them (it skips a branch whose first
operation is a literal or a character set that does not match):

* each pattern's top-level alternatives are split out, and a leading group distributed
  over the rest of its alternative: ``(?:a|b)c`` becomes ``ac|bc`` and ``(?:a)?c``
  becomes ``ac|c``; a leading set of plain characters, ``[xy]c``, becomes ``xc|yc``;
* alternatives that start with the same plain character are grouped under it,
  ``x(?:...|...)``.

Each rewrite keeps, at every position, whether each pattern matches there. Every
alternative ends in an empty named group that tells which pattern it came from. Where two
patterns match at the same position the regex reports only the first; the others that can
start with the literal text found there (up to _KEY_CHARS characters of it) are then
tried alone at that position. So
:meth:`CueScanner.find` equals ``{name for name, rx in patterns.items() if
rx.search(text)}``, which the tests check on a varied corpus.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
from itertools import pairwise

__all__ = [
    "WORD_END",
    "WORD_START",
    "CueScanner",
    "ascii_twin",
    "first_words",
    "regroup",
    "whole_words",
]

# Every cue is a whole word or phrase: it starts where no letter, digit or hyphen precedes
# it and, when it ends on a word character, no letter, digit or hyphen follows. So "proof"
# is not found in "leak-proof" or "proofread", nor "prove" in "improve".
WORD_START = r"(?<![\w-])"
WORD_END = r"(?:(?<=\w)(?![\w-])|(?<!\w))"

_QUANTIFIERS = frozenset("*+?{")
# How much of an alternative's literal start picks the patterns tried alone where the
# combined pattern matched: the more, the fewer tried (a dict lookup per length).
_KEY_CHARS = 6
_SYNTAX = frozenset("\\.^$*+?{}[]|()")


# Non-ASCII characters that re.IGNORECASE matches to an ASCII letter (dotted and dotless i,
# long s, the Kelvin sign): a pattern holding one can match ASCII text only case-blind.
_FOLDS_TO_ASCII = frozenset("\u0130\u0131\u017f\u212a")
_UNICODE_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")
_NON_ASCII_RANGE = re.compile(r"[^\x00-\x7f]-|-[^\x00-\x7f]")
# Escapes that name a character by number (\x41, \101, \u not of four digits), and inline
# flags (a case-sensitive "(?-i:...)" part).
_UNREAD = re.compile(r"\\(?:x|u|[0-9])|\(\?[aiLmsux-]")


def ascii_twin(pattern: re.Pattern[str]) -> re.Pattern[str] | None:
    """A case-sensitive twin of ``pattern`` (an ``re.IGNORECASE`` pattern written in lower
    case) that finds in ``text.lower()`` what ``pattern`` finds in ``text``, at the same
    positions, for any ASCII ``text``, in about half the time; None when the pattern does
    not qualify.

    Over ASCII text, ignoring case is lower-casing both sides: the pattern's letters are
    already lower case, ``\\w``, ``\\d``, ``\\s`` and ``\\b`` do not depend on case,
    and no other character of the text changes. Refused: upper-case letters or escapes
    (``\\S``, ``\\W``...), characters given by number other than ``\\uXXXX``
    (``\\x41``, ``\\101``) and backreferences, inline flags, characters that fold to an
    ASCII letter, and ranges with a non-ASCII end (which could span one)."""
    source = pattern.pattern
    if not pattern.flags & re.IGNORECASE or source != source.lower():
        return None
    if _UNREAD.search(_UNICODE_ESCAPE.sub("", source)):
        return None
    decoded = _UNICODE_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), source)
    if _FOLDS_TO_ASCII & set(decoded) or _NON_ASCII_RANGE.search(decoded):
        return None
    return re.compile(source, pattern.flags & ~re.IGNORECASE)


def whole_words(source: str) -> str:
    """``source`` (an alternation) matched only as whole words or phrases."""
    return f"{WORD_START}(?:{source}){WORD_END}"


def _class_end(src: str, i: int) -> int:
    """Index just past the character set that opens at ``src[i]`` (``[``)."""
    j = i + 1
    if src[j : j + 1] == "^":
        j += 1
    if src[j : j + 1] == "]":  # a leading "]" is a member, not the end
        j += 1
    while src[j] != "]":
        j += 2 if src[j] == "\\" else 1
    return j + 1


def _syntax(src: str) -> Iterator[tuple[int, str, int]]:
    """(index, character, group depth) of each unescaped character outside a set.

    A ``(`` and its ``)`` report the same depth, the depth outside the group."""
    depth = 0
    i = 0
    while i < len(src):
        ch = src[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "[":
            i = _class_end(src, i)
            continue
        if ch == ")":
            depth -= 1
        yield i, ch, depth
        if ch == "(":
            depth += 1
        i += 1


def _split(src: str) -> list[str]:
    """The top-level alternatives of ``src``."""
    cuts = [i for i, ch, depth in _syntax(src) if ch == "|" and depth == 0]
    bounds = [-1, *cuts, len(src)]
    return [src[a + 1 : b] for a, b in pairwise(bounds)]


def _group_end(src: str) -> int:
    """Index just past the ``)`` closing the group that opens at ``src[0]``."""
    for i, ch, depth in _syntax(src):
        if ch == ")" and depth == 0:
            return i + 1
    raise ValueError(f"unbalanced group in {src!r}")


def _quantified(src: str, i: int) -> bool:
    return src[i : i + 1] in _QUANTIFIERS


def _plain(src: str, i: int) -> bool:
    """Whether ``src[i]`` is a literal character that no quantifier follows."""
    return i < len(src) and src[i] not in _SYNTAX and not _quantified(src, i + 1)


def _expand(alt: str) -> list[str]:
    """``alt`` as alternatives that start, where possible, with a plain character."""
    if alt.startswith("(?:"):
        end = _group_end(alt)
        rest = alt[end:]
        parts = _split(alt[3 : end - 1])
        if not _quantified(alt, end):
            return [x for part in parts for x in _expand(part + rest)]
        if rest[:1] == "?" and rest[1:2] not in ("?", "+"):  # greedy optional group
            tail = rest[1:]
            return [x for part in [*parts, ""] for x in _expand(part + tail)]
    elif alt.startswith("[") and not alt.startswith(("[^", "[]")):
        end = _class_end(alt, 0)
        members = alt[1 : end - 1]
        # Members that are syntax outside a set ("." or "*") would not be literals there.
        if not _quantified(alt, end) and not set(members) & (_SYNTAX | set("-&~")):
            return [x for ch in dict.fromkeys(members) for x in _expand(ch + alt[end:])]
    return [alt]


def _alternatives(src: str) -> list[str]:
    """``src``'s top-level alternatives, each expanded (:func:`_expand`)."""
    return [x for part in _split(src) for x in _expand(part)]


def regroup(alternation: str) -> str:
    """``alternation`` with its alternatives expanded and grouped under their first plain
    character (see the module docstring), the others after them.

    Used in place of ``alternation``, a pattern matches at the same positions: it finds a
    match wherever the original does, and only there. Which alternative matches first at a
    position may change, and with it the match's end, so it is for a search whose match is
    only tested, not read. The regex engine then rejects most alternatives on their first
    character at each position it tries, without entering them."""
    groups: dict[str, list[str]] = {}
    other: list[str] = []
    for alt in _alternatives(alternation):
        if _plain(alt, 0):
            groups.setdefault(alt[0], []).append(alt[1:])
        else:
            other.append(alt)
    branches = [f"{re.escape(ch)}(?:{'|'.join(rests)})" for ch, rests in groups.items()]
    return "|".join(branches + other)


def _strings(src: str) -> set[str] | None:
    """Every string the alternation ``src`` matches, when it is made only of plain
    characters, sets of plain characters and non-capturing groups, each optional ("?") at
    most; None otherwise."""
    out: set[str] = set()
    for alt in _split(src):
        found: set[str] = {""}
        i = 0
        while i < len(alt):
            part: set[str] | None
            if alt.startswith("(?:", i):
                end = i + _group_end(alt[i:])
                part = _strings(alt[i + 3 : end - 1])
            elif alt[i] == "[":
                end = _class_end(alt, i)
                members = alt[i + 1 : end - 1]
                # Literal members only: no escape, range (a "-" first or last is itself),
                # negation or set operation.
                plain = not set(members) & set("\\[]^&~|") and "-" not in members[1:-1]
                part = set(members) if plain else None
            else:
                end = i + 1
                part = None if alt[i] in _SYNTAX else {alt[i]}
            if part is None:
                return None
            if alt[end : end + 1] == "?" and alt[end + 1 : end + 2] not in ("?", "+"):
                part.add("")
                end += 1
            elif _quantified(alt, end):
                return None
            found = {head + tail for head in found for tail in part}
            i = end
        out |= found
    return out


_LEADING_WORD = re.compile(r"\w+")


def first_words(alternation: str) -> frozenset[str] | None:
    """The words (``\\w+`` runs) a whole-word match of ``alternation`` can start with.

    Where ``(?<![\\w-])(?:alternation)(?![\\w-])`` (or ``\\b`` on both sides) matches a
    text, the text's ``\\w+`` run that starts there is one of these: a match starts a run
    (no word character before it) and, being whole words, ends where the run it ends in
    ends. So a text none of whose runs is one of these has no match. None when
    ``alternation`` matches strings that cannot be listed (see :func:`_strings`) or one
    that does not start with a word character."""
    strings = _strings(alternation)
    if strings is None:
        return None
    words: set[str] = set()
    for string in strings:
        lead = _LEADING_WORD.match(string)
        if lead is None:
            return None
        words.add(lead.group())
    return frozenset(words)


def _starts(alt: str, size: int = _KEY_CHARS) -> set[str]:
    """Literal starts of ``alt`` (``size`` characters at most): every match of ``alt``
    begins with one of them. A leading group or set is distributed (:func:`_expand`) where
    it stops the literal run, so ``in (?:what|which) order`` starts with ``in wha`` or
    ``in whi``, not only ``in ``."""
    n = 0
    while n < size and _plain(alt, n):
        n += 1
    if n == size:
        return {alt[:n]}
    rest = alt[n:]
    expanded = _expand(rest)
    if expanded == [rest]:
        return {alt[:n]}
    return {alt[:n] + start for part in expanded for start in _starts(part, size - n)}


# Where an alternative without a literal start can begin: its first element, when that is
# a set, "." or a class escape (\d, \w...) that must match once at least, or "^".
_CLASS_ESCAPES = frozenset("dDwWsS")


def _first_char(alt: str) -> str | None:
    """The pattern of ``alt``'s first character (a set, "." or an escape) when every match
    of ``alt`` starts with one such character; None when that cannot be told."""
    if alt.startswith("[") and not alt.startswith("[]"):
        end = _class_end(alt, 0)
    elif alt.startswith("."):
        end = 1
    elif alt.startswith("\\") and (alt[1:2] in _CLASS_ESCAPES or not alt[1:2].isalnum()):
        end = 2
    else:
        return None
    after = alt[end : end + 2]
    if after[:1] in ("*", "?") or after in ("{0", "{,"):
        return None  # may match nothing: the next element could start the match
    return alt[:end]


# How many more characters, after the first, the combined pattern groups its alternatives
# under (a trie): at a word start the regex engine then compares a few characters at each
# level instead of every alternative's second character. 2 took the fewest instructions
# per plan (callgrind: 1 and 3-12 more; request_cpu.txt section 19).
_TRIE_DEPTH = 2


def _trie(alts: list[str], depth: int) -> list[str]:
    """``alts`` with those that start with the same plain character grouped under it,
    ``depth`` levels deep; the same alternatives (``x(?:a|b)`` is ``xa|xb``)."""
    groups: dict[str, list[str]] = {}
    other: list[str] = []
    for alt in alts:
        if depth and _plain(alt, 0):
            groups.setdefault(alt[0], []).append(alt[1:])
        else:
            other.append(alt)
    out = []
    for ch, rests in groups.items():
        inner = _trie(rests, depth - 1)
        out.append(re.escape(ch) + (f"(?:{'|'.join(inner)})" if len(inner) > 1 else inner[0]))
    return out + other


@dataclass(frozen=True, slots=True)
class _Compiled:
    scanner: re.Pattern[str]
    owner: Mapping[str, int]  # marker group -> pattern index
    # A literal start of an alternative (_starts) -> the patterns that have one starting
    # so, and the lengths of those keys.
    by_start: Mapping[str, frozenset[int]]
    key_lengths: tuple[int, ...]
    anywhere: frozenset[int]  # patterns with an alternative that starts otherwise
    # Of those, the ones that can start at an ASCII character (other characters: all), and
    # at a line start only (an alternative led by "^").
    first: Mapping[str, frozenset[int]]
    line_start: frozenset[int]
    multiline: bool


class CueScanner:
    """Finds which of ``sources`` (name -> regex alternation, matched as whole words with
    ``flags``) occur anywhere in a text; see the module docstring."""

    def __init__(self, sources: Mapping[str, str], flags: re.RegexFlag = re.MULTILINE) -> None:
        # Grouping by first character compares characters exactly, and reads a space or "#"
        # as a literal. (An inline global flag cannot follow the word-start lookbehind.)
        if flags & (re.IGNORECASE | re.VERBOSE):
            raise ValueError("CueScanner needs case-sensitive, non-verbose patterns")
        self.names = tuple(sources)
        self.flags = flags
        self._sources = dict(sources)
        self.patterns: Mapping[str, re.Pattern[str]] = {
            name: re.compile(whole_words(src), flags) for name, src in sources.items()
        }
        self._alone = tuple(self.patterns[name] for name in self.names)

    @cached_property
    def _compiled(self) -> _Compiled:
        # Compiled on first use (~0.1 s): importing tierwise stays cheap.
        groups: dict[str, list[str]] = {}
        other: list[str] = []
        owner: dict[str, int] = {}
        by_start: dict[str, set[int]] = {}
        anywhere: set[int] = set()
        first: dict[str, set[int]] = {chr(c): set() for c in range(128)}
        line_start: set[int] = set()
        multiline = bool(self.flags & re.MULTILINE)
        for k, name in enumerate(self.names):
            for j, alt in enumerate(_alternatives(self._sources[name])):
                marker = f"c{k}_{j}"
                owner[marker] = k
                body = f"{alt}{WORD_END}(?P<{marker}>)"
                if _plain(alt, 0):
                    groups.setdefault(alt[0], []).append(body[1:])
                    for start in _starts(alt):
                        by_start.setdefault(start, set()).add(k)
                    continue
                other.append(body)
                anywhere.add(k)
                char = _first_char(alt)
                if alt.startswith("^"):
                    line_start.add(k)
                elif char is None:
                    for ks in first.values():
                        ks.add(k)
                else:
                    one = re.compile(char, self.flags)
                    for ch, ks in first.items():
                        if one.match(ch):
                            ks.add(k)
        branches = [
            f"{re.escape(ch)}(?:{'|'.join(_trie(rests, _TRIE_DEPTH))})"
            for ch, rests in groups.items()
        ]
        scanner = re.compile(f"{WORD_START}(?={'|'.join(branches + other)})", self.flags)
        return _Compiled(
            scanner,
            owner,
            {key: frozenset(v) for key, v in by_start.items()},
            tuple(sorted({len(key) for key in by_start})),
            frozenset(anywhere),
            {ch: frozenset(ks) for ch, ks in first.items()},
            frozenset(line_start),
            multiline,
        )

    def prepare(self) -> None:
        """Compile now rather than on the first :meth:`find`."""
        _ = self._compiled

    def find(self, text: str) -> frozenset[str]:
        """The names of the patterns that match somewhere in ``text``."""
        c = self._compiled
        found: set[int] = set()
        n = len(self.names)
        for m in c.scanner.finditer(text):
            found.add(c.owner[m.lastgroup or ""])
            if len(found) == n:
                break
            # Other patterns may match here too (the regex reports the first); those with
            # an alternative that can start with the text here are tried alone: a literal
            # start, or a first character or line start that fits. (Near the end a slice is
            # shorter than its length and may pick up more: tried, harmless.)
            at = m.start()
            maybe = c.first.get(text[at : at + 1], c.anywhere)  # "" at the end: all
            if c.line_start and (at == 0 or (c.multiline and text[at - 1] == "\n")):
                maybe = maybe | c.line_start
            for size in c.key_lengths:
                starting = c.by_start.get(text[at : at + size])
                if starting is not None:
                    maybe = maybe | starting
            for k in maybe - found:
                if self._alone[k].match(text, at):
                    found.add(k)
        return frozenset(self.names[k] for k in found)
