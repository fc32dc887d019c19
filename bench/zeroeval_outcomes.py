"""Per-question outcomes of cheap and strong models from ZeroEval's result files, for
screening a new training source (docs/router/difficulty.md, round 8; data.md).

    python bench/zeroeval_outcomes.py MIRROR > zeroeval.jsonl

``MIRROR`` is a git checkout or bare mirror of github.com/yuchenlin/ZeroEval (Apache-2.0;
commit 570c6269a2e4930ee06a17e713fece1ba52cf1dd was read). Its ``result_dirs/{crux,math-l5}``
hold each model's answer to CRUXEval's 800 output-prediction questions (MIT) and MATH's 721
level-5 problems (MIT). Each output line: ``prompt`` (the question as asked, without ZeroEval's
answer-format instruction), ``weak`` (share of the four cheap models graded right: Claude 3
Haiku, GPT-4o mini, Gemini 1.5 Flash, Llama 3.1 8B Instruct), ``strong`` (share of three
strong ones: Claude 3 Opus, GPT-4o 2024-05-13, Claude 3.5 Sonnet 2024-06-20), ``source``.
The output stays outside the repository.

Grading is our own, from each output's ``"answer"`` field: CRUXEval answers compared as Python
literals (a string answer may be written without its quotes); MATH answers compared after
removing LaTeX spacing, ``$``, ``\\text{}``, ``\\boxed{}`` and thousands separators, as numbers
where both parse. Per-model accuracies (printed on stderr) land within 0.01-0.04 of ZeroEval's
own ``result_dirs/{crux,math-l5}.summary.md``; our CRUXEval grading is a little more lenient.
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
import warnings
from typing import Any

CHEAP = (
    "claude-3-haiku-20240307",
    "gpt-4o-mini-2024-07-18",
    "gemini-1.5-flash",
    "Meta-Llama-3.1-8B-Instruct",
)
STRONG = ("claude-3-opus-20240229", "gpt-4o-2024-05-13", "claude-3-5-sonnet-20240620")
TASKS = ("crux", "math-l5")
_FENCED = re.compile(r"```(?:json)?\s*(\{.*?\})\s*```", re.S)
_BLOCK = re.compile(r"\{.*\}", re.S)
_FIELD = re.compile(r'"answer"\s*:\s*("(?:[^"\\]|\\.)*"|[^,}\n]+)', re.S)


def _show(mirror: str, path: str) -> Any:
    out = subprocess.run(
        ["git", "-C", mirror, "show", f"HEAD:{path}"], capture_output=True, check=True
    ).stdout
    return json.loads(out)


def _as_text(value: Any) -> str:
    # Python's spelling, so a parsed true/null/list reads back as a literal.
    return value if isinstance(value, str) else repr(value)


def answer(output: str) -> str | None:
    """The ``answer`` field of a model's JSON reply (fenced, bare, or half-formed)."""
    blocks = [m.group(1) for m in _FENCED.finditer(output)]
    bare = _BLOCK.search(output)
    if bare:
        blocks.append(bare.group(0))
    for block in blocks:
        try:
            parsed = json.loads(block)
        except ValueError:
            continue
        if isinstance(parsed, dict) and "answer" in parsed:
            return _as_text(parsed["answer"])
    fields = _FIELD.findall(output)
    if not fields:
        return None
    last = fields[-1].strip()
    if last.startswith('"'):
        try:
            return str(json.loads(last))
        except ValueError:
            return last.strip('"')
    return last


def _maths(text: str) -> str:
    for old, new in (("$", ""), ("\\!", ""), ("\\left", ""), ("\\right", "")):
        text = text.replace(old, new)
    for old in ("\\dfrac", "\\tfrac"):
        text = text.replace(old, "\\frac")
    text = text.replace("^\\circ", "").replace("^{\\circ}", "")
    text = re.sub(r"\\text\{\s*([^}]*)\}", r"\1", text)
    text = re.sub(r"\\boxed\{(.*)\}", r"\1", text)
    text = text.replace(" ", "").replace(",", "").rstrip(".")
    text = re.sub(r"\\frac(\d)(\d)", r"\\frac{\1}{\2}", text)
    try:
        return repr(round(float(text), 6))
    except ValueError:
        pass
    frac = re.fullmatch(r"-?\\frac\{(-?\d+)\}\{(\d+)\}", text)
    if frac:
        value = int(frac.group(1)) / int(frac.group(2))
        return repr(round(-value if text.startswith("-") else value, 6))
    return text


def _literal(text: str) -> str:
    text = text.strip()
    if text.startswith("assert") and "==" in text:
        text = text.split("==", 1)[1]
    try:
        return repr(ast.literal_eval(text.strip()))
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return text.strip().strip("'\"")


def grade(task: str, item: dict[str, Any]) -> float:
    got = answer(item["output"][0]) if item.get("output") else None
    if got is None:
        return 0.0
    want = str(item["answer"])
    same = _maths if task == "math-l5" else _literal
    if same(got) == same(want):
        return 1.0
    if task == "crux":  # a string answer written without its quotes
        try:
            literal = ast.literal_eval(want.strip())
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            return 0.0
        return float(isinstance(literal, str) and got == literal)
    return 0.0


def main() -> None:
    warnings.simplefilter("ignore", SyntaxWarning)  # model answers that are not Python
    if len(sys.argv) != 2:
        raise SystemExit("usage: python bench/zeroeval_outcomes.py MIRROR > zeroeval.jsonl")
    mirror = sys.argv[1]
    for task in TASKS:
        grades: dict[str, dict[str, float]] = {}
        prompts: dict[str, str] = {}
        for model in CHEAP + STRONG:
            items = _show(mirror, f"result_dirs/{task}/{model}.json")
            grades[model] = {str(it["id"]): grade(task, it) for it in items}
            for it in items:
                prompts.setdefault(str(it["id"]), it.get("question") or it["problem"])
            right = sum(grades[model].values()) / len(items)
            print(f"{task} {model}: {right:.3f} of {len(items)}", file=sys.stderr)
        for key, prompt in prompts.items():
            row = {
                "prompt": prompt,
                "weak": sum(grades[m].get(key, 0.0) for m in CHEAP) / len(CHEAP),
                "strong": sum(grades[m].get(key, 0.0) for m in STRONG) / len(STRONG),
                "source": f"zeroeval-{task}",
            }
            print(json.dumps(row))


if __name__ == "__main__":
    main()
