"""The packaged class model's refit (``python -m tierwise.router.class_train REPORT``), keeping
the held-out predictions it computes for the report, so the same-rows and per-slice checks
(bench/class_same_rows.py --predictions, bench/class_round3.py --predictions) read the very
predictions the report was written from instead of fitting the same 9 folds again (each fold
is minutes of CPU on a shared machine).

Run: python bench/class_refit.py PREDICTIONS.jsonl.gz [REPORT]   (default docs/router/classes.md;
     needs the ``train`` extra; 11 fits). Writes the packaged model, the report and, per corpus
     row in held-out order, {"class", "pred", "group", "probs"} (blended with the cues).
"""

from __future__ import annotations

import gzip
import json
import sys
from typing import Any

from tierwise.router import class_train


def save_predictions(result: class_train.EvalResult, path: str) -> None:
    """Write held-out predictions, one corpus row per line, in the order they were made."""
    with gzip.open(path, "wt", encoding="utf-8") as f:
        for (true, pred, group), probs in zip(result.pairs, result.probs, strict=True):
            row = {"class": true, "pred": pred, "group": group, "probs": probs}
            f.write(json.dumps(row, sort_keys=True) + "\n")


def load_predictions(path: str) -> class_train.EvalResult:
    """The held-out predictions a run of this script kept, as the EvalResult they came from."""
    result = class_train.EvalResult()
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            result.pairs.append((row["class"], row["pred"], row["group"]))
            result.probs.append(row["probs"])
    return result


def main() -> int:
    out = sys.argv[1]
    fitted = class_train.grouped_predictions

    def keeping(*args: Any, **kwargs: Any) -> tuple[class_train.EvalResult, ...]:
        alone, blend = fitted(*args, **kwargs)
        save_predictions(blend, out)
        return alone, blend

    # main() looks the function up in its module at call time, so this one run both writes
    # the report and keeps what the report was computed from.
    class_train.grouped_predictions = keeping  # type: ignore[assignment]
    class_train.main(["class_train", *sys.argv[2:]])
    return 0


if __name__ == "__main__":
    sys.exit(main())
