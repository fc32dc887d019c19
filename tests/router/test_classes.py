"""The task-class model: file format, training, held-out-template evaluation, refit input."""

from __future__ import annotations

import json
from array import array
from pathlib import Path
from typing import Any

import pytest

from tierwise.core.class_model import BlendedClassifier, ClassModel
from tierwise.core.routing import predict_class
from tierwise.core.signals import extract_signals
from tierwise.core.taxonomy import TASK_CLASSES
from tierwise.errors import InvalidRequestError
from tierwise.router.class_corpus import BANKS, TEMPLATES, build_corpus
from tierwise.router.class_weights import load_class_model

pytest.importorskip("scipy")

from tierwise.router.class_train import (
    EvalResult,
    bootstrap_interval,
    fit,
    grouped_eval,
    load_corpus,
    load_labelled_jsonl,
)


def user(text: str, system: str | None = None) -> dict[str, Any]:
    request: dict[str, Any] = {"messages": [{"role": "user", "content": [{"text": text}]}]}
    if system:
        request["system"] = [{"text": system}]
    return request


def toy_rows() -> list[dict[str, Any]]:
    rows = []
    for i in range(12):
        rows.append(
            {
                "class": "classify",
                "template": f"c{i % 3}",
                "source": "team-templates",
                "request": user(f"Label this message as spam or ham: offer {i}"),
            }
        )
        rows.append(
            {
                "class": "proof",
                "template": f"p{i % 3}",
                "source": "team-templates",
                "request": user(f"Prove that statement {i} holds for every n by induction"),
            }
        )
        rows.append(
            {
                "class": "translate",
                "template": f"t{i % 3}",
                "source": "team-templates",
                "request": user(f"Translate sentence {i} into German please"),
            }
        )
    return rows  # fmt: skip


def test_fit_learns_and_round_trips_through_bytes() -> None:
    model = fit(toy_rows(), bits=12)
    again = ClassModel.from_bytes(model.to_bytes())
    for request, cls in [
        (user("Label this message as spam or ham: cheap pills"), "classify"),
        (user("Prove that it holds for every n by induction"), "proof"),
        (user("Translate this into German please"), "translate"),
    ]:
        signals = extract_signals(request)
        assert predict_class(signals, again).name == cls
        assert predict_class(signals, again) == predict_class(signals, model)


def test_truncated_or_foreign_files_are_refused() -> None:
    data = fit(toy_rows(), bits=10).to_bytes()
    with pytest.raises(ValueError, match="truncated"):
        ClassModel.from_bytes(data[:-8])
    with pytest.raises(ValueError, match="bad magic"):
        ClassModel.from_bytes(b"TWDM2\n" + data[6:])
    with pytest.raises(ValueError, match="unknown classes"):
        ClassModel(bits=4, classes=["nope"], indexes=array("I"), weights=array("f"),
                   bias=[0.0], version="x")  # fmt: skip


def test_prior_pulls_a_refit_toward_the_packaged_weights() -> None:
    base = fit(toy_rows(), bits=12)
    # Three rows saying "label ..." is translation: without the prior they flip the class,
    # with a strong prior the packaged knowledge holds.
    text = "Label this message as spam or ham: offer {}"
    few = [{"class": "translate", "template": f"u{i}", "source": "user",
            "request": user(text.format(i))} for i in range(3)]  # fmt: skip
    probe = extract_signals(user("Label this message as spam or ham: offer 99"))
    assert predict_class(probe, fit(few, bits=12, prior=base, prior_strength=50.0)).name == (
        "classify"
    )
    loose = fit(few, bits=12, prior=base, prior_strength=0.001)
    assert predict_class(probe, loose).name == "translate"


def test_row_weights_move_weight_within_a_class_and_keep_its_total() -> None:
    rows = toy_rows()
    ask = "Which bucket does ticket {} go in"
    rows += [{"class": "classify", "template": f"q{i % 3}", "source": "sni",
              "request": user(ask.format(i))} for i in range(12)]  # fmt: skip
    plain = fit(rows, bits=12)
    # Scaling every row alike changes nothing: each class keeps its total weight.
    same = fit(rows, bits=12, row_weights=[3.0] * len(rows))
    assert list(same.weights) == pytest.approx(list(plain.weights), abs=1e-4)
    # Within classify, the "which bucket" rows give up their share to the "label" rows.
    light = [1e-6 if r["source"] == "sni" else 1.0 for r in rows]
    thinned = fit(rows, bits=12, row_weights=light)
    probe = extract_signals(user(ask.format(99)))
    assert (
        predict_class(probe, thinned).probs["classify"]
        < predict_class(probe, plain).probs["classify"]
    )


def test_balance_power_below_one_lets_a_larger_class_weigh_more() -> None:
    rows = toy_rows()
    rows += [dict(r, template=f"{r['template']}x{n}") for n in range(2) for r in rows
             if r["class"] == "classify"]  # fmt: skip
    k = TASK_CLASSES.index("classify")
    balanced = fit(rows, bits=12)
    plain = fit(rows, bits=12, balance_power=0.0)
    others = [TASK_CLASSES.index(c) for c in ("proof", "translate")]

    def lead(model: ClassModel) -> float:
        return model.bias[k] - max(model.bias[i] for i in others)

    assert lead(plain) > lead(balanced)


def test_grouped_eval_never_tests_on_a_template_it_trained_on() -> None:
    rows = toy_rows()
    result = grouped_eval(rows, folds=3, bits=10)
    assert len(result.pairs) == len(rows)
    assert {g for _, _, g in result.pairs} == {r["template"] for r in rows}


def test_eval_result_metrics() -> None:
    result = EvalResult(
        [("classify", "classify", "a"), ("classify", "proof", "b"), ("proof", "proof", "c")]
    )
    assert result.accuracy() == pytest.approx(2 / 3)
    precision, recall, support = result.per_class()["proof"]
    assert (precision, recall, support) == (0.5, 1.0, 1)
    assert result.confusion()["classify"]["proof"] == 1
    lo, hi = bootstrap_interval([True] * 80 + [False] * 20)
    assert 0.7 < lo < 0.8 < hi < 0.9


def test_labelled_jsonl_reads_requests_and_prompts_and_refuses_bad_rows(tmp_path: Path) -> None:
    good = tmp_path / "mine.jsonl"
    good.write_text(
        json.dumps({"class": "triage", "prompt": "Route this ticket"}) + "\n"
        + json.dumps({"class": "proof", "request": user("Prove it")}) + "\n"
        + json.dumps({"prompt": "no class: an outcome row", "weak_score": 1}) + "\n"
    )  # fmt: skip
    rows = load_labelled_jsonl(good)
    assert [r["class"] for r in rows] == ["triage", "proof"]
    assert rows[0]["request"]["messages"][0]["content"] == "Route this ticket"
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"class": "labelling", "prompt": "x"}) + "\n")
    with pytest.raises(InvalidRequestError, match="unknown task class 'labelling'"):
        load_labelled_jsonl(bad)
    bad.write_text("{not json\n")
    with pytest.raises(InvalidRequestError, match="not JSON") as info:
        load_labelled_jsonl(bad)
    # The hint was the API's "retrying it unchanged will fail the same way".
    assert info.value.hint.startswith("one JSON object per line")
    bad.write_text(json.dumps({"class": "math"}) + "\n")
    with pytest.raises(InvalidRequestError, match="needs a 'request' object") as info:
        load_labelled_jsonl(bad)
    assert '{"prompt": "...", "class": "math"}' in info.value.hint


def test_corpus_covers_every_class_with_several_templates() -> None:
    templates: dict[str, set[str]] = {c: set() for c in TASK_CLASSES}
    for row in build_corpus():
        templates[row["class"]].add(row["template"])
    assert all(len(t) >= 2 for t in templates.values()), templates
    assert sum(len(t) for t in templates.values()) >= 150
    assert {c for c, *_ in TEMPLATES} | set(BANKS) == set(TASK_CLASSES)


def test_packaged_corpus_is_the_generator_output_plus_public_rows() -> None:
    packaged = load_corpus()
    generated = build_corpus()
    team = [r for r in packaged if r["source"] == "team-templates"]
    # Row for row: the class model was fitted on these rows, so a refactor of the generator
    # must write them again as they are.
    assert team == [r for r in generated if r["source"] == "team-templates"]
    sni = [r for r in generated if r["source"] == "sni"]
    assert sni and [r for r in packaged if r["source"] == "sni"] == sni
    assert {r["source"] for r in packaged} - {"team-templates"} <= {
        "gsm8k", "mmlu", "arena-hard-v2", "sni"
    }  # fmt: skip


def test_acceptance_set_never_feeds_the_corpus() -> None:
    heldout = Path(__file__).parent / "data" / "heldout_requests.jsonl"
    held_texts = set()
    for line in heldout.read_text().splitlines():
        for message in json.loads(line)["request"]["messages"]:
            for block in message["content"]:
                if "text" in block and len(block["text"]) > 30:
                    held_texts.add(block["text"])
    for row in load_corpus():
        for message in row["request"]["messages"]:
            content = message["content"]
            for block in content if isinstance(content, list) else [{"text": content}]:
                assert block.get("text") not in held_texts


def test_packaged_model_loads_and_blends_with_the_cues() -> None:
    model = load_class_model()
    assert model is not None
    blended = BlendedClassifier(model)
    assert blended.version == f"{model.version}+cues-v1-fallback0*0.5"
    request = user("It crashed on login.", system="Label the ticket: billing, bug, other. "
                   "Reply with the label only.")  # fmt: skip
    assert predict_class(extract_signals(request), blended).name == "classify"


def test_bad_class_model_path_is_a_config_error(tmp_path: Path) -> None:
    from tierwise.errors import ConfigError

    path = tmp_path / "x.twcm"
    path.write_bytes(b"nonsense")
    with pytest.raises(ConfigError, match="class_model_path"):
        load_class_model(path)


def _labelled(tmp_path: Path, with_outcomes: bool) -> Path:
    lines = []
    for i in range(24):
        # A team whose "release note" requests are short-form work for its own reasons.
        prompt = f"Release note line for change {i}: faster sync"
        row: dict[str, Any] = {"class": "short_form", "prompt": prompt}
        if with_outcomes and i % 2:
            row["outcomes"] = {"haiku": 1, "sonnet": 1}
        lines.append(json.dumps(row))
    path = tmp_path / "mine.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_router_train_refits_the_class_stage_from_class_labels(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from tierwise.cli.app import app

    data = _labelled(tmp_path, with_outcomes=False)
    out = tmp_path / "classes.twcm"
    result = CliRunner().invoke(
        app, ["router", "train", "--data", str(data), "--class-out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "class_model_path" in result.output
    model = load_class_model(out)
    packaged = load_class_model()
    assert model is not None and packaged is not None
    assert model.version == packaged.version + "+custom"
    probe = extract_signals(user("Release note line for change 99: new export"))
    assert predict_class(probe, model).name == "short_form"
    # The prior keeps what the packaged model knows about other classes.
    proof = extract_signals(user("Prove that the square root of 2 is irrational."))
    assert predict_class(proof, model).name == "proof"


def test_router_train_with_both_labels_refits_both_stages(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from tierwise.cli.app import app

    data = _labelled(tmp_path, with_outcomes=True)
    result = CliRunner().invoke(
        app,
        [
            "router",
            "train",
            "--data",
            str(data),
            "--class-out",
            str(tmp_path / "c.twcm"),
            "--out",
            str(tmp_path / "d.twdm"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "c.twcm").exists() and (tmp_path / "d.twdm").exists()


@pytest.mark.parametrize(
    ("text", "not_class"),
    [
        ("Give me 5 comma-separated tags for this leak-proof lid.", "proof"),
        ("Please proofread this paragraph: Their going to the store tomorow.", "proof"),
        ("How can I improve the tone of this sentence: 'Send it now.'", "proof"),
        ("Reformat these dates as YYYY-MM-DD: 3/4/2024, 12/25/2023, 7/1/2025", "math"),
        ("Why was I charged $12.99 when my plan is $9.99?", "complex_analysis"),
        (
            "I plan to cancel my subscription next month. What happens to my data?",
            "complex_analysis",
        ),
    ],
)
def test_words_inside_other_words_or_numbers_in_lists_do_not_decide_the_class(
    text: str, not_class: str
) -> None:
    model = load_class_model()
    assert model is not None
    pred = predict_class(extract_signals(user(text)), BlendedClassifier(model))
    assert pred.name != not_class, pred


def test_report_keeps_sections_other_tools_wrote(tmp_path: Path) -> None:
    from tierwise.router.class_train import write_report

    report = tmp_path / "classes.md"
    report.write_text(
        "# old\n\n## Held-out templates and sources\n\nstale-figures-xyz\n\n"
        "## Blind acceptance set v2 (x)\n\nkept figure 0.5\n\n"
        "## Acceptance set (y)\n\nstale-acceptance-xyz\n",
        encoding="utf-8",
    )
    accept = {"r": {"agreement": 1.0, "interval": (1.0, 1.0), "class_accuracy": 1.0,
                    "crossings": [], "misses": []}}  # fmt: skip
    write_report(report, model_eval=EvalResult(), template_eval=EvalResult(),
                 new_wordings=None, accept=accept, command="cmd")  # fmt: skip
    text = report.read_text(encoding="utf-8")
    assert "kept figure 0.5" in text
    assert "stale-figures-xyz" not in text and "stale-acceptance-xyz" not in text
    assert text.index("## Blind acceptance set v2") < text.index("## Acceptance set (")
