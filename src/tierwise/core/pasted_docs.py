"""Documentation pasted beside a question: where the user's ask is, and whether the rest is
reference material written in sections.

A developer or a help-desk agent pastes a README, an API page, a manual chapter or a help
article and asks about it, often without saying "using the documentation below". The
material's words then decide the class: code blocks, HTML and YAML read as a coding task,
headings and prose as content writing (round 10: 17 of 68 open questions over pasted
documentation went to ``routine_code`` or ``content_writing``). What the material is can
be read from its shape, in any language and format: it is written in titled sections (a
markdown, reStructuredText or HTML heading, or a short title line that opens a block of
text: "4. DESCALING", "KB0010231 - Connecting to the VPN", "Seite: Rufbereitschaft",
"Q : Comment ... ?"), and the ask is a short paragraph before or after it.
:func:`tierwise.core.signals.extract_signals` uses this to read an open question over such
material as a question to be answered from it.
"""

from __future__ import annotations

import re

__all__ = ["documentation_ask"]

# Only the first part of the material is read: the ask sits at its ends and a few sections
# are enough to see what it is (and a 20k-token paste costs no more than a short one).
_MATERIAL_CHARS = 8000
_MIN_MATERIAL_CHARS = 400
_MAX_ASK_CHARS = 400
_MIN_SECTIONS = 3

_BLOCK_SPLIT = re.compile(r"\n[ \t]*\n")
# A heading in markup: markdown ("## Retries"), an HTML heading or sectioning tag, or a
# reStructuredText/setext underline under a title line.
_MARKUP_HEADING = re.compile(
    # (a markdown heading is followed by a blank line: a "# comment" in code is not)
    r"^[ \t]*#{1,6}[ \t]+\S[^\n]*\n[ \t]*\n|^[ \t]*<(?:h[1-6]|article|section)\b"
    r"|^[^\n]{1,80}\n[ \t]*(?:={3,}|-{3,}|~{3,})[ \t]*$",
    re.MULTILINE | re.IGNORECASE,
)
# A line that cannot be a title: it ends a sentence or a clause, or is a greeting or a
# sign-off ("Hi team,", "Best regards,").
_NOT_A_TITLE_END = (".", ",", ";", "!")
_TITLE_MAX_CHARS = 80


# Marks of code, not of a title: a call ("enumerate(rows"; a bracket after a space is a
# title's: "Seite: Rufbereitschaft (On-Call)"), operators, markup, a line opening with a
# keyword.
_CODE_MARKS = re.compile(
    r"[={};<>`\\]|\w\(|^\s*(?:import|from|def|class|struct|#include)\b", re.MULTILINE
)


# The header lines of an email open its blocks too ("From: Ana"): they are no titles.
_HEADER_LINE = re.compile(
    r"(?:from|to|cc|bcc|subject|date|sent|re|fw|von|an|betreff|de|à|objet)\s*:", re.I
)
# A chat message opens with its author and the time it was sent ("Ana Silva  10:42 AM",
# "[09:15] Tom"): a pasted conversation is no documentation.
_SENT_AT = re.compile(r"(?<![\w:.])\d{1,2}:\d{2}(?::\d{2})?(?:\s*[ap]\.?m\.?)?(?![\w:.])", re.I)


def _titled(block: str) -> bool:
    """Whether a block of text opens with a short title line followed by its text, where
    neither looks like code (a pasted script's blocks open with "import ..." or "def ...")."""
    title, _, body = block.strip().partition("\n")
    title = title.strip()
    text = body.strip().partition("\n")[0]
    return (
        bool(text)
        and 2 < len(title) <= _TITLE_MAX_CHARS
        and not title.endswith(_NOT_A_TITLE_END)
        and not title.startswith(("-", "*", "•", "|", ">", "#"))
        and _CODE_MARKS.search(title) is None
        and _CODE_MARKS.search(text) is None
        and _HEADER_LINE.match(title) is None
        and _SENT_AT.search(title) is None
    )


def _sections(material: str) -> int:
    """How many titled sections ``material`` holds (its first _MATERIAL_CHARS)."""
    head = material[:_MATERIAL_CHARS]
    markup = len(_MARKUP_HEADING.findall(head))
    if markup >= _MIN_SECTIONS:
        return markup
    return max(markup, sum(1 for block in _BLOCK_SPLIT.split(head) if _titled(block)))


# A semicolon between two clauses of a sentence is prose ("Un cliente pregunta por los
# envíos; según este texto, ¿qué le digo?"), not a statement's end in code.
_PROSE_SEMICOLON = re.compile(r"(?<=[^\W\d_]);(?= [¿¡«\"“]?[^\W\d_])")


def _plain(paragraph: str) -> bool:
    """Whether a paragraph is written to the reader (an ask), not a piece of the material:
    no heading, code fence, markup tag or table row, and short."""
    text = paragraph.strip()
    return (
        0 < len(text) <= _MAX_ASK_CHARS
        and _MARKUP_HEADING.search(text) is None
        and _CODE_MARKS.search(_PROSE_SEMICOLON.sub(",", text)) is None
        and not text.startswith(("```", "~~~", "<", "|", "{", "[", "---", "===", "#"))
    )


def documentation_ask(user_text: str) -> str | None:
    """The ask of a user turn that pastes documentation after (or before) it: the first
    paragraph when it is plain text and the rest is material, else the last one; ``None``
    when the rest is not at least _MIN_SECTIONS titled sections of reference material."""
    if len(user_text) < _MIN_MATERIAL_CHARS + 20:
        return None
    head = user_text[: _MAX_ASK_CHARS + 200]
    first = _BLOCK_SPLIT.split(head, maxsplit=1)[0]
    tail = user_text[-(_MAX_ASK_CHARS + 200) :]
    last = _BLOCK_SPLIT.split(tail)[-1]
    # A page written in title lines opens with a titled block as plain as an ask ("4.
    # Pflege\nSiebe alle zwei Wochen reinigen."): when the last paragraph is plain and no
    # titled block, it is the ask.
    if _plain(first) and not (_titled(first) and _plain(last) and not _titled(last)):
        ask, material = first, user_text[len(first) :]
    else:
        if not _plain(last):
            return None
        ask, material = last, user_text[: len(user_text) - len(last)]
    if len(material.strip()) < _MIN_MATERIAL_CHARS or _sections(material) < _MIN_SECTIONS:
        return None
    return ask.strip()
