"""Quantities in a prompt: what makes a math word problem long to solve.

A word problem's difficulty for a weaker model grows with the number of quantities it must
carry, the operations between them (rates, percentages, fractions, unit changes) and the
sentences it must chain. Hashed n-grams see words, not this structure, so the difficulty
model gives math prompts a small tree ensemble over these counts (see
:mod:`tierwise.core.trees`). Pure and deterministic; shared by training and serving.
"""

from __future__ import annotations

import math
import re

__all__ = ["QUANTITY_FEATURES", "is_word_problem", "quantity_features"]

_NUMBER_WORDS = (
    "one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|"
    "forty|fifty|hundred|thousand|million|dozen|half|twice|double|triple|thrice|quarter|third|"
    "fourth|fifth"
)
_QUANTITY = re.compile(r"\$?\d[\d,]*(?:\.\d+)?%?|\b(?:" + _NUMBER_WORDS + r")\b", re.IGNORECASE)
_DIGITS = re.compile(r"\d[\d,]*(?:\.\d+)?")
_TIME = re.compile(r"\b(?:second|minute|hour|day|week|month|year|decade)s?\b", re.IGNORECASE)
_UNIT = re.compile(
    r"\b(?:second|minute|hour|day|week|month|year|inch|inche|foot|feet|yard|mile|meter|cm|km|"
    r"kg|pound|ounce|gallon|liter|cup|dollar|cent|gram|mph)s?\b",
    re.IGNORECASE,
)
_PERCENT = re.compile(r"%|\bpercent", re.IGNORECASE)
_FRACTION = re.compile(r"\d+/\d+|\b(?:half|third|quarter|fourth|fifth|fraction)\b", re.IGNORECASE)
_DECIMAL = re.compile(r"\d\.\d")
_RELATION = re.compile(
    r"\b(?:each|per|every|times|twice|more than|less than|fewer|as many|as much|remaining|"
    r"rest|left|total|altogether|average|ratio|rate|profit|discount|tax|interest|increase|"
    r"decrease)\b",
    re.IGNORECASE,
)
_SEQUENCE = re.compile(
    r"\b(?:then|after|before|later|first|second|next|finally|until|if|while|but|instead|"
    r"except)\b",
    re.IGNORECASE,
)
_NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][a-z]+\b")
_SENTENCE = re.compile(r"[.!?](?:\s|$)")
_COMPARE = re.compile(
    r"how many more|how much more|how many fewer|what percent|how long|how far|how old|"
    r"what is the difference",
    re.IGNORECASE,
)
_ASK = re.compile(r"\?|\b(?:calculate|compute|find|determine|how many|how much|what is)\b", re.I)

QUANTITY_FEATURES = (
    "quantities",
    "distinct_quantities",
    "digit_numbers",
    "log_largest_number",
    "time_words",
    "distinct_units",
    "percentages",
    "fractions",
    "decimals",
    "relations",
    "sequence_words",
    "distinct_names",
    "sentences",
    "comparison_questions",
    "words",
    "chars",
    "dollar_signs",
    "quantity_density",
    "commas",
)


def is_word_problem(text: str) -> bool:
    """A question or a request to compute, over two or more quantities (one in digits) or
    three written out ("three times as many ... two more ... four pets")."""
    if _ASK.search(text) is None:
        return False
    quantities = len(_QUANTITY.findall(text))
    return quantities >= 3 or (quantities >= 2 and _DIGITS.search(text) is not None)


def quantity_features(text: str) -> list[float]:
    """Counts in the order of :data:`QUANTITY_FEATURES` (raw counts: trees need no scaling)."""
    quantities = _QUANTITY.findall(text)
    numbers = [float(token.replace(",", "")) for token in _DIGITS.findall(text)]
    words = len(text.split())
    return [
        float(len(quantities)),
        float(len({q.lower() for q in quantities})),
        float(len(numbers)),
        math.log1p(max(numbers)) if numbers else 0.0,
        float(len(_TIME.findall(text))),
        float(len({u.lower().rstrip("s") for u in _UNIT.findall(text)})),
        float(len(_PERCENT.findall(text))),
        float(len(_FRACTION.findall(text))),
        float(len(_DECIMAL.findall(text))),
        float(len(_RELATION.findall(text))),
        float(len(_SEQUENCE.findall(text))),
        float(len(set(_NAME.findall(text)))),
        float(len(_SENTENCE.findall(text))),
        float(len(_COMPARE.findall(text))),
        float(words),
        float(len(text)),
        float(text.count("$")),
        len(quantities) / max(words, 1),
        float(text.count(",")),
    ]
