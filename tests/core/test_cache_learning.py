"""Learning warm prefixes from Bedrock's reported cache tokens, which its tokenizer counts,
not our estimate (chars / 4): the reported read and write boundaries are matched to the
request's cache points through the call's own ratio, and the counts kept are Bedrock's.

Each case builds the usage Bedrock would report for a prompt whose parts its tokenizer counts
at a given ratio of the estimate (not the same ratio for every part, as code, prose and
documents differ), then checks which prefixes are learned warm and with what counts."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tierwise.core.cache_aware import Prefix, learned_prefixes

# Estimated prefix sizes of up to four cache points (tools, system, documents, history).
POINTS = [Prefix(3_000, "1h", "tools"), Prefix(21_000, "5m", "system"),
          Prefix(40_000, "5m", "docs"), Prefix(52_000, "5m", "history")]  # fmt: skip
TAIL = 300  # the question after the last point, uncached
# How each part's real count departs from the call's ratio (code denser, prose sparser...).
SKEW = (1.1, 0.95, 1.05, 0.9)
TAIL_SKEW = 0.85
# A point between the reported boundaries is scaled, so off by its part's skew: within 20%.
BETWEEN = 0.2


@dataclass(frozen=True)
class Bedrock:
    """A prompt as Bedrock's tokenizer counts it: each cache point's real prefix size."""

    points: list[Prefix]
    real: dict[str, int]
    total: int
    estimated: int

    @classmethod
    def of(cls, points: list[Prefix], ratio: float, skew: tuple[float, ...] = SKEW) -> Bedrock:
        real: dict[str, int] = {}
        at = previous = 0
        for p, s in zip(points, skew, strict=False):
            at += round((p.tokens - previous) * ratio * s)
            previous = p.tokens
            real[p.key] = at
        return cls(points, real, at + round(TAIL * ratio * TAIL_SKEW), previous + TAIL)

    def learn(self, read: int, written: int) -> dict[str, int]:
        """What a call that reported ``read`` and ``written`` (and the rest as input) left
        warm: digest -> the token count kept."""
        scale = self.total / self.estimated
        return {p.key: p.tokens for p in learned_prefixes(self.points, read, written, scale)}

    def expect(self, learned: dict[str, int], *exact: str) -> None:
        """Every point learned; the ``exact`` ones (the boundaries reported) at Bedrock's
        count, the others near it."""
        assert learned.keys() == self.real.keys()
        assert {k: learned[k] for k in exact} == {k: self.real[k] for k in exact}
        for key, tokens in learned.items():
            assert tokens == pytest.approx(self.real[key], rel=BETWEEN)


CASES = [(ratio, n) for ratio in (0.7, 0.9, 1.1, 1.4) for n in (1, 2, 3, 4)]


@pytest.mark.parametrize(("ratio", "n"), CASES)
def test_a_cold_call_learns_every_point_it_wrote_at_bedrocks_counts(ratio: float, n: int) -> None:
    bedrock = Bedrock.of(POINTS[:n], ratio)
    last = bedrock.real[POINTS[n - 1].key]
    bedrock.expect(bedrock.learn(read=0, written=last), POINTS[n - 1].key)


@pytest.mark.parametrize(("ratio", "n"), CASES)
def test_a_warm_call_learns_what_it_read_at_bedrocks_counts(ratio: float, n: int) -> None:
    bedrock = Bedrock.of(POINTS[:n], ratio)
    last = bedrock.real[POINTS[n - 1].key]
    bedrock.expect(bedrock.learn(read=last, written=0), POINTS[n - 1].key)


@pytest.mark.parametrize(("ratio", "n"), [c for c in CASES if c[1] > 1])
def test_a_mixed_call_learns_what_it_read_and_what_it_wrote(ratio: float, n: int) -> None:
    bedrock = Bedrock.of(POINTS[:n], ratio)
    for k in range(n - 1):  # read up to point k, wrote the rest
        read = bedrock.real[POINTS[k].key]
        written = bedrock.real[POINTS[n - 1].key] - read
        # the boundaries Bedrock reported are kept exactly; the points between, scaled
        bedrock.expect(bedrock.learn(read, written), POINTS[k].key, POINTS[n - 1].key)


def test_the_audits_probe_one_48k_point_reported_short_of_the_estimate_is_learned() -> None:
    point = Prefix(48_524, "5m", "doc")
    for read, written in ((0, 47_000), (46_000, 0)):
        total = read + written + 290  # the question after the point
        learned = learned_prefixes([point], read, written, total / (48_524 + 300))
        assert [(p.key, p.tokens) for p in learned] == [("doc", read + written)]


@pytest.mark.parametrize("ratio", [0.7, 0.9, 1.1, 1.4])
def test_a_read_of_the_previous_turns_end_between_two_points_is_learned(ratio: float) -> None:
    # The turn's point reads back through its lookback window: the previous call wrote its
    # entry at the end of the last turn, two blocks before this turn's end.
    end = Prefix(40_000, "5m", "turn", ((40_000, "turn"), (39_880, "answer"), (39_500, "prev")))
    points = [Prefix(3_000, "5m", "system"), end]
    bedrock = Bedrock.of([points[0], Prefix(39_500, "5m", "prev"), end], ratio)
    read, last = bedrock.real["prev"], bedrock.real["turn"]
    scale = bedrock.total / bedrock.estimated
    learned = learned_prefixes(points, read, last - read, scale, warm={"prev"})
    assert [(p.key, p.tokens) for p in learned] == [
        ("system", pytest.approx(bedrock.real["system"], rel=BETWEEN)),
        ("prev", read),
        ("turn", last),
    ]


@pytest.mark.parametrize("ratio", [0.7, 1.4])
def test_a_last_point_bedrock_did_not_cache_is_not_learned(ratio: float) -> None:
    # The last point is 1,100 estimated tokens past the one before: over a 1,024-token
    # minimum by our count, under it by Bedrock's. Bedrock wrote up to the third point only.
    points = [*POINTS[:3], Prefix(41_100, "5m", "short")]
    bedrock = Bedrock.of(points, ratio, (1.0, 1.0, 1.0, 0.8))
    learned = bedrock.learn(read=0, written=bedrock.real["docs"])
    assert learned.keys() == {"tools", "system", "docs"}
    assert learned["docs"] == bedrock.real["docs"]


def test_zero_counts_and_counts_no_prefix_explains_mark_nothing() -> None:
    bedrock = Bedrock.of(POINTS, 0.9)
    assert bedrock.learn(read=0, written=0) == {}
    # a write or a read far short of every point (a prompt laid out unlike ours): nothing
    assert bedrock.learn(read=0, written=800) == {}
    assert bedrock.learn(read=900, written=0) == {}
    last = bedrock.real["history"]
    assert bedrock.learn(read=500, written=last - 500) == {}
    # read 0 is no read: a write alone marks what it wrote, no entry as read
    assert bedrock.learn(read=0, written=last).keys() == bedrock.real.keys()


def test_a_read_alone_is_the_points_own_entry_not_a_block_beside_it() -> None:
    # The turn's end and the block before it are 3 estimated tokens apart: the scaled
    # estimate cannot tell them apart, and with nothing written the entry read is the
    # point's own (no point past it caches).
    end = Prefix(40_000, "5m", "turn", ((40_000, "turn"), (39_997, "answer")))
    for scale in (0.9999, 1.0001, 0.9, 1.2):
        for read in (round(40_000 * scale), round(39_997 * scale)):
            learned = learned_prefixes([end], read=read, written=0, scale=scale)
            assert [(p.key, p.tokens) for p in learned] == [("turn", read)]


def _turns(n: int) -> Prefix:
    # A conversation's one point at 8,000 estimated tokens, its lookback window at 500 apart
    return Prefix(8_000, "5m", "B", tuple((8_000 - 500 * i, "B" if i == 0 else f"b{i}")
                                          for i in range(n)))  # fmt: skip


def test_the_entry_read_is_one_that_was_warm_not_a_block_nearer_the_scaled_read() -> None:
    # The cached prefix is code (Bedrock counts it ~1.3x our estimate), the new turn prose
    # (~1.0x): A's 4,000 estimated tokens are read as 5,200, and b7 (4,500 estimated, never
    # written) sits nearer that once scaled by the call's ratio than A does.
    a = Prefix(4_000, "5m", "A", ((4_000, "A"), (3_900, "a1")))
    points = [a, _turns(8)]
    learned = learned_prefixes(points, 5_200, 4_000, 9_200 / 8_000, warm={"A"})
    assert [(p.key, p.tokens) for p in learned] == [("A", 5_200), ("B", 9_200)]
    # the previous turn's end, warm, is read rather than A, though A is within 1.5x
    a = Prefix(4_500, "5m", "A", ((4_500, "A"),))
    learned = learned_prefixes([a, _turns(8)], 6_600, 2_200, 1.1, warm={"A", "b4"})
    assert [(p.key, p.tokens) for p in learned] == [("A", 4_950), ("b4", 6_600), ("B", 8_800)]
    # nothing known warm (the state lost): only an own point, no window position, is taken
    learned = learned_prefixes(points, 5_200, 4_000, 9_200 / 8_000)
    assert [(p.key, p.tokens) for p in learned] == [("A", 5_200), ("B", 9_200)]


def test_a_read_an_ill_estimated_document_puts_off_scale_is_still_learned() -> None:
    # A 5,000-token system prompt, then a PDF estimated at 50,000 (bytes / 4) that Bedrock
    # counts as 10,000: the call's ratio (15,000 / 55,000) puts the system prompt's read
    # 3.7x off, and only an exact count, or the entry known warm, names it.
    s, t = Prefix(5_000, "5m", "S"), Prefix(55_000, "5m", "T")
    for warm in (set(), {"S"}):
        learned = learned_prefixes([s, t], 5_000, 10_000, 15_000 / 55_000, warm=warm)
        assert [(p.key, p.tokens) for p in learned] == [("S", 5_000), ("T", 15_000)]
    # off by a few tokens, only the known-warm entry names it
    learned = learned_prefixes([s, t], 5_100, 10_000, 15_100 / 55_000, warm={"S"})
    assert [(p.key, p.tokens) for p in learned] == [("S", 5_100), ("T", 15_100)]
