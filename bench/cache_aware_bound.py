"""Can any cache-aware rule be at or below both baselines on the back-to-back RAG runs of
``bench/cache_aware.py`` at 300 and at 1,200 questions (issue 19)? The arithmetic.

The 300-question workload is the first 300 requests of the 1,200-question one (checked
here), sent in the same order, so a rule that decides from past requests makes the same
choices on them in both runs. The only choice that matters is when each tenant's Haiku copy
of its documentation is written: its medium questions keep Sonnet's copy warm whatever easy
questions do. Writing the Haiku copy costs ``W_H - R_S`` more than an easy question reading
Sonnet's; each easy question that reads it afterwards saves ``R_S - R_H``. Per tenant with
``E`` easy questions in the first 300, writing at its j-th one costs ``(W_H - R_S) - (R_S -
R_H) (E - j)`` over all-Sonnet at 300 and ``(R_S - R_H) (j - 1)`` over class routing at
1,200 (which writes at the first, and every tenant's 9-22 easy questions there pay for it);
not writing before question 300 costs 0 at 300 and ``(R_S - R_H) E`` at 1,200. The least sum
of the two excesses over any choice per tenant, even knowing every ``E`` in advance, is
printed: above 0 means no rule gets both rows to their baseline. Output tokens are left out
(an easy answer costs ~$0.00003 more on Sonnet: the runs' output splits).

    python bench/cache_aware_bound.py
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from typing import Any

from cache_aware import rag_requests

from tierwise.config import load_settings
from tierwise.core.tiers import Tier
from tierwise.core.tokens import count_request
from tierwise.emulator.skills import CLASS_KEY

EASY = {"extract", "classify"}  # rag_requests' easy templates' true classes
MILLION = Decimal(1_000_000)


def main() -> int:
    short, long = rag_requests(300, 1), rag_requests(1200, 1)
    print(f"300-question workload is the 1,200 one's first 300 requests: {short == long[:300]}")
    settings = load_settings(environ={}).settings
    haiku, sonnet = settings.rates(Tier.HAIKU), settings.rates(Tier.SONNET)
    tokens = Decimal(count_request({"system": short[0]["system"], "messages": []}))
    write = tokens * (haiku.cache_write_5m - sonnet.cache_read) / MILLION
    read = tokens * (sonnet.cache_read - haiku.cache_read) / MILLION

    def easy(requests: list[dict[str, Any]]) -> Counter[str]:
        return Counter(
            r["system"][0]["text"] for r in requests if r["requestMetadata"][CLASS_KEY] in EASY
        )

    counts, later = easy(short), easy(long)
    print(
        f"documentation {tokens:,} tokens: W_H - R_S = ${write:.5f}, R_S - R_H = ${read:.5f}; "
        f"{len(counts)} tenants with easy questions in the first 300 ({sum(counts.values())}, "
        f"{min(counts.values())}-{max(counts.values())} a tenant); at 1,200 "
        f"{min(later.values())}-{max(later.values())} a tenant"
    )
    first = sum(write - read * (e - 1) for e in counts.values())
    print(f"writing every copy at its first easy question (class routing): +${first:.4f} at 300")
    alone = sum(min(Decimal(0), write - read * (e - 1)) for e in counts.values())
    print(f"the best choice at 300 alone, knowing every count: ${alone:+.4f}")
    both = sum(min(write - read * (e - 1), read * e) for e in counts.values())
    print(
        f"least (excess over all-Sonnet at 300) + (excess over class routing at 1,200): "
        f"${both:+.4f}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
