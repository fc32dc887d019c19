"""The Super-NaturalInstructions rows of the class corpus: mapping, license filter, caps."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tierwise.core.taxonomy import TASK_CLASSES
from tierwise.router import sni_corpus
from tierwise.router.sni_corpus import (
    CATEGORY_CLASS,
    ROWS_PER_TASK,
    TASK_CLASS,
    build_rows,
    class_of,
    license_allowed,
    load_sni_rows,
)


def _task(
    tmp: Path,
    name: str,
    categories: list[str],
    *,
    license: str = "CC BY 4.0",
    source: str | None = None,
    n: int = 6,
) -> None:
    data: dict[str, Any] = {
        "Source": [source or name],
        "Categories": categories,
        "Definition": [f"Definition of {name}."],
        "Input_language": ["English"],
        "Instances": [{"input": f"{name} input {i}", "output": ["x"]} for i in range(n)],
        "Instance License": [license],
    }
    (tmp / f"{name}.json").write_text(json.dumps(data), encoding="utf-8")


def test_every_mapped_class_is_a_task_class() -> None:
    for table in (CATEGORY_CLASS, TASK_CLASS):
        for cls, why in table.values():
            assert cls is None or cls in TASK_CLASSES
            assert why  # every line of the reviewed table says why


@pytest.mark.parametrize(
    ("license", "allowed"),
    [
        ("CC BY 4.0", True),
        ("CC BY-SA 4.0", True),
        ("MIT", True),
        ("Apache 2.0", True),
        ("Unknown", True),
        ("OANC", True),
        ("Public Domain", True),
        ("CC BY-NC 4.0", False),
        ("CC BY-NC-SA 3.0", False),
        ("CC BY-NC-ND 4.0", False),
        ("Amazon License (https://s3.amazonaws.com/amazon-reviews-pds/license.txt)", False),
        ("Microsoft Research Data License Agreement (https://example.org)", False),
        ("GPL 3.0", False),
        ("Quora Terms of Service (https://www.quora.com/about/tos)", False),
    ],
)
def test_license_filter(license: str, allowed: bool) -> None:
    assert license_allowed([license]) is allowed
    assert license_allowed(["MIT", license]) is allowed


def test_class_of_needs_every_category_to_agree() -> None:
    assert class_of("taskX", ["Named Entity Recognition"])[0] == "extract"
    assert class_of("taskX", ["Named Entity Recognition", "Question Generation"])[0] is None
    assert class_of("taskX", ["Translation", "Summarization"])[0] is None
    assert class_of("taskX", ["A category nobody reviewed"])[0] is None
    # Question answering is decided per task, never by its category.
    assert class_of("taskX", ["Question Answering"])[0] is None
    assert class_of("task835_mathdataset_answer_generation", ["Question Answering"])[0] == "math"


def test_build_rows_filters_licenses_and_caps_sources_and_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sni_corpus, "TASKS_PER_CLASS", 2)
    monkeypatch.setattr(sni_corpus, "TASKS_PER_SOURCE", 2)
    _task(tmp_path, "task001_ok", ["Summarization"], source="S1")
    _task(tmp_path, "task002_nc", ["Summarization"], license="CC BY-NC 4.0")
    _task(tmp_path, "task003_same_source", ["Paraphrasing"], source="S1")
    _task(tmp_path, "task004_same_source", ["Paraphrasing"], source="S1")
    _task(tmp_path, "task005_unmapped", ["Question Generation"])
    _task(tmp_path, "task006_capped_class", ["Summarization"])
    _task(tmp_path, "task007_other_class", ["Summarization"])
    rows, log = build_rows(tmp_path)
    kept = sorted({r["template"] for r in rows})
    assert kept == ["task001_ok", "task003_same_source", "task006_capped_class"]
    assert any("task002_nc" in line and "CC BY-NC" in line for line in log)
    assert any("task004_same_source" in line and "source S1" in line for line in log)
    assert any("task007_other_class" in line and "summarize already has" in line for line in log)
    for task in kept:
        texts = [json.dumps(r["request"]) for r in rows if r["template"] == task]
        assert len(texts) == ROWS_PER_TASK
        # the first instances, so a partial copy of a task file rebuilds the same rows
        assert all(f"{task} input {i}" in texts[i] for i in range(ROWS_PER_TASK))
    assert {r["source"] for r in rows} == {"sni"}


def test_packaged_rows_are_capped_valid_requests() -> None:
    rows = load_sni_rows()
    assert len(rows) >= 200
    per_task: dict[str, int] = {}
    for row in rows:
        assert row["source"] == "sni"
        assert row["class"] in TASK_CLASSES
        assert row["class"] == (TASK_CLASS.get(row["template"]) or (row["class"],))[0]
        per_task[row["template"]] = per_task.get(row["template"], 0) + 1
        messages = row["request"]["messages"]
        assert messages[-1]["role"] == "user" and messages[-1]["content"][0]["text"].strip()
    assert max(per_task.values()) <= ROWS_PER_TASK
    assert len({r["class"] for r in rows}) >= 8


def test_missing_packaged_file_gives_no_rows(tmp_path: Path) -> None:
    assert load_sni_rows(tmp_path / "absent.jsonl.gz") == []
