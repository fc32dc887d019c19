"""Class-corpus rows derived from Super-NaturalInstructions (SNI), a public task-labelled set.

SNI (allenai/natural-instructions, Apache-2.0) has one JSON file per task with a human-written
``Definition``, ``Categories``, languages, the source data set and ``Instances`` (each an
``input``), plus an ``Instance License`` for the source data. This module maps SNI's categories
to our task classes (:data:`CATEGORY_CLASS`, reviewed line by line; question answering per task
in :data:`QA_TASK_CLASS`), drops tasks whose instance license is non-commercial or otherwise
restrictive (:func:`license_allowed`), and turns a few instances per task into Converse
requests shaped as users send them: the definition as the system prompt or inside the user
turn, before or after the material.

Only the derived rows are kept in the repo (``router/data/class-corpus/sni.jsonl.gz``, read
by :func:`load_sni_rows`); the raw data set never is. Rebuild from a local copy of SNI's
``tasks/`` folder::

    python -m tierwise.router.sni_corpus PATH/TO/tasks OUT.jsonl.gz  # default: SNI_FILE

Every row has ``source = "sni"``, so held-out evaluation predicts all of it with a model that
never saw any of it (``class_train.grouped_eval``); ``template`` is the SNI task name.
"""

from __future__ import annotations

import gzip
import json
import random
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

__all__ = [
    "CATEGORY_CLASS",
    "QA_TASK_CLASS",
    "SNI_FILE",
    "TASK_CLASS",
    "build_rows",
    "class_of",
    "license_allowed",
    "load_sni_rows",
]

SNI_FILE = Path(__file__).parent / "data" / "class-corpus" / "sni.jsonl.gz"
SOURCE = "sni"

# SNI category -> (our class or None to skip, why). Conservative: a category maps only when
# nearly every task in it is a request of that class as a user would send it.
CATEGORY_CLASS: dict[str, tuple[str | None, str]] = {
    "Sentiment Analysis": ("classify", "pick a sentiment or emotion label for a text"),
    "Text Categorization": ("classify", "assign a text to a category"),
    "Toxic Language Detection": ("classify", "label a text toxic/offensive or not"),
    "Stance Detection": ("classify", "label a text's stance toward a topic"),
    "Section Classification": ("classify", "label a paragraph's rhetorical role from a list"),
    "Question Understanding": ("classify", "label a question's type or topic"),
    "Language Identification": ("classify", "name the language of a text"),
    "Named Entity Recognition": ("extract", "pull named entities out of a text"),
    "Information Extraction": ("extract", "pull given fields, spans or events out of a text"),
    "Keyword Tagging": ("extract", "pick key words or phrases from a text"),
    "Translation": ("translate", "translate a text between languages"),
    "Title Generation": ("short_form", "a title or headline for a text"),
    "Paraphrasing": ("transform", "rewrite a sentence with the same meaning"),
    "Grammar Error Correction": ("transform", "correct a sentence's grammar"),
    "Text Simplification": ("transform", "rewrite a sentence in simpler words"),
    "Style Transfer": ("transform", "rewrite a text in another style or polarity"),
    "Question Rewriting": ("transform", "rewrite a question (fluent, paraphrased, merged)"),
    "Sentence Compression": ("transform", "shorten a sentence keeping its meaning"),
    "Number Conversion": ("transform", "convert numbers between words and digits"),
    "Summarization": ("summarize", "summarize a given text or dialogue"),
    "Story Composition": ("content_writing", "write or complete a story"),
    "Text to Code": ("routine_code", "write code or a query from a description"),
    "Mathematics": ("math", "a calculation"),
    # Skipped, each for a reason:
    "Question Answering": (None, "passage or not, maths or not: decided per task (QA_TASK_CLASS)"),
    "Program Execution": (None, "list arithmetic done by hand; would teach 'numbers = code'"),
    "Question Generation": (None, "writing questions about a text fits no class cleanly"),
    "Sentence Composition": (None, "NLP data-making (hypotheses, combined facts)"),
    "Text Completion": (None, "continue a story or sentence: no clear class"),
    "Fill in The Blank": (None, "cloze items: no clear class"),
    "Wrong Candidate Generation": (None, "write deliberately wrong answers: no real request"),
    "Dialogue Generation": (None, "mixed: user-utterance generation, improv; not support/chat"),
    "Intent Identification": (None, "free-text intent or motive generation, not a label list"),
    "Misc.": (None, "heterogeneous by definition"),
    "Word Semantics": (None, "antonyms/hypernyms of one word: no clear class"),
    "Coreference Resolution": (None, "linguistic probing, no clear class"),
    "Sentence Ordering": (None, "puzzle-like, no clear class"),
    "Sentence Perturbation": (None, "NLP data-making"),
    "Sentence Expansion": (None, "NLP data-making"),
    "Pos Tagging": (None, "linguistic probing"),
    "Entity Generation": (None, "meronym generation, no clear class"),
    "Text Matching": (None, "pairwise judgement, no clear class"),
    "Text Quality Evaluation": (None, "pick the ill-formed query: no clear class"),
    "Speaker Identification": (None, "puzzle-like, no clear class"),
    "Cause Effect Classification": (None, "sentence completion in SNI, not a label"),
    "Coherence Classification": (None, "linguistic probing"),
    "Textual Entailment": (None, "NLI pairs are a benchmark format, not production traffic"),
}

# SNI's "Question Answering" mixes passage-grounded QA, closed-book QA and maths word
# problems; each task is decided here from its definition. A QA task not listed is skipped.
QA_TASK_CLASS: dict[str, tuple[str | None, str]] = {
    "task080_piqa_answer_generation": ("general_qa", "how to reach a physical goal, no passage"),
    "task1293_kilt_tasks_hotpotqa_question_answering": ("general_qa", "closed-book question"),
    "task1327_qa_zre_answer_generation_from_question": ("rag_qa", "answer from the given context"),
    "task1412_web_questions_question_answering": ("general_qa", "open factoid question"),
    "task1441_doqa_movies_answer_generation": ("rag_qa", "answer from a given paragraph"),
    "task151_tomqa_find_location_easy_clean": ("rag_qa", "answer from a given story"),
    "task1581_eqasc-perturbed_answer_generation": ("rag_qa", "answer from a given statement"),
    "task1601_webquestions_answer_generation": ("general_qa", "open factoid question"),
    "task332_tellmewhy_answer_generation": ("rag_qa", "answer about a given story"),
    "task344_hybridqa_answer_generation": ("general_qa", "closed-book question"),
    "task444_com_qa_question_paraphrases_answer_generation": ("general_qa", "open question"),
    "task582_naturalquestion_answer_generation": ("general_qa", "open-domain question"),
    "task596_mocha_question_generation": (None, "writes questions, despite its category"),
    "task615_moviesqa_answer_generation": ("general_qa", "open movie trivia question"),
    "task745_ai2_arithmetic_questions_arithmetic": ("math", "arithmetic word problem"),
    "task820_protoqa_answer_generation": ("general_qa", "commonsense open question"),
    "task835_mathdataset_answer_generation": ("math", "high-school maths question"),
    "task861_asdiv_addsub_question_answering": ("math", "maths word problem"),
    "task862_asdiv_multidiv_question_answering": ("math", "maths word problem"),
    "task863_asdiv_multiop_question_answering": ("math", "maths word problem"),
    "task866_mawps_multidiv_question_answering": ("math", "maths word problem"),
    "task867_mawps_multiop_question_answering": ("math", "maths word problem"),
    "task868_mawps_singleop_question_answering": ("math", "maths word problem"),
    "task898_freebase_qa_answer_generation": ("general_qa", "trivia question"),
    "task918_coqa_answer_generation": ("rag_qa", "answer from a given story"),
}

# Tasks whose category says one thing and whose definition another.
TASK_CLASS: dict[str, tuple[str | None, str]] = {
    **QA_TASK_CLASS,
    "task1504_hatexplain_answer_generation": ("extract", "quote the hateful phrase, no label"),
    "task1579_gigaword_incorrect_summarization": (None, "asks for a wrong summary"),
    "task899_freebase_qa_topic_generation": ("extract", "name the entity a question is about"),
    "task068_abductivenli_incorrect_answer_generation": (None, "make a story implausible"),
    # Older task files read through the index carry SNI's first taxonomy ("Classification").
    "task109_smsspamcollection_spamsmsdetection": ("classify", "label an SMS spam or ham"),
    "task562_alt_language_identification": ("classify", "name a sentence's language of 13"),
    "task327_jigsaw_classification_toxic": ("classify", "label a comment toxic or non-toxic"),
    "task512_twitter_emotion_classification": ("classify", "label a post's emotion of six"),
    "task1713_convai3_sentence_generation": (None, "writes a user's intent as a sentence"),
}

# Instance licenses (substrings) that rule a task out: non-commercial, no-derivatives,
# research-only or terms-of-service data, and copyleft. "Unknown" is kept (SNI lists the
# source; see PROVENANCE.md).
_DENIED_LICENSES = (
    "-NC",  # CC BY-NC, BY-NC-SA, BY-NC-ND (a bare "NC" would also catch OANC)
    "-ND",
    "Microsoft Research",
    "MSR-LA",
    "RACE",
    "Amazon License",
    "Terms of Service",
    "Dedicated",
    "GPL",
    "CCG licence",
)

ROWS_PER_TASK = 6
TASKS_PER_CLASS = 14
TASKS_PER_SOURCE = 3  # SNI source data sets often give several tasks; no one set dominates
MAX_INPUT_CHARS = 6000


def license_allowed(licenses: Iterable[str]) -> bool:
    """Whether every instance license of a task permits use in a commercial product's
    training corpus (conservatively: a listed restrictive term rules it out)."""
    return not any(term in lic for lic in licenses for term in _DENIED_LICENSES)


def class_of(task: str, categories: Iterable[str]) -> tuple[str | None, str]:
    """The class of an SNI task and why: a per-task decision first, then its categories
    (all must agree; a category not in the table skips the task)."""
    if task in TASK_CLASS:
        return TASK_CLASS[task]
    decided: set[str | None] = set()
    for cat in categories:
        cls, _ = CATEGORY_CLASS.get(cat, (None, ""))
        decided.add(cls)
    if len(decided) == 1:
        (cls,) = decided
        if cls is not None:
            return cls, "category " + ", ".join(categories)
    return None, "category unmapped or mixed"


def _u(text: str) -> dict[str, Any]:
    return {"role": "user", "content": [{"text": text}]}


def _request(definition: str, text: str, shape: int) -> dict[str, Any]:
    """One of five shapes users send an instruction and its material in."""
    if shape == 0:
        return {"system": [{"text": definition}], "messages": [_u(text)]}
    if shape == 1:
        return {"messages": [_u(f"{definition}\n\n{text}")]}
    if shape == 2:
        return {"messages": [_u(f"{definition}\n\nInput: {text}")]}
    if shape == 3:
        return {"messages": [_u(f"{text}\n\n{definition}")]}
    return {
        "system": [{"text": "You are a helpful assistant."}],
        "messages": [_u(f"{definition}\n\n{text}")],
    }


def _task_rows(task: str, data: Mapping[str, Any], cls: str) -> list[dict[str, Any]]:
    rng = random.Random(task)
    definitions = [d.strip() for d in data.get("Definition", []) if str(d).strip()]
    inputs = [str(i.get("input", "")) for i in data.get("Instances", [])]
    inputs = [t for t in dict.fromkeys(inputs) if t.strip() and len(t) <= MAX_INPUT_CHARS]
    if not definitions or not inputs:
        return []
    rows = []
    # The first instances, not a sample: a partial copy of a task file (metadata and its
    # first instances) then rebuilds the same rows as the full file.
    for text in inputs[:ROWS_PER_TASK]:
        request = _request(rng.choice(definitions), text.strip(), rng.randrange(5))
        rows.append({"class": cls, "template": task, "source": SOURCE, "request": request})
    return rows


def build_rows(tasks_dir: Path) -> tuple[list[dict[str, Any]], list[str]]:
    """Rows from every ``task*.json`` in ``tasks_dir`` and a log line per task (kept, or why
    not). Deterministic: tasks are taken in name order within the per-class and per-source
    caps; the wording shape and definition are drawn with a seed per task."""
    rows: list[dict[str, Any]] = []
    log: list[str] = []
    per_class: Counter[str] = Counter()
    per_source: defaultdict[str, int] = defaultdict(int)
    for path in sorted(tasks_dir.glob("task*.json")):
        task = path.stem
        data = json.loads(path.read_text(encoding="utf-8"))
        cls, why = class_of(task, data.get("Categories", []))
        licenses = data.get("Instance License", ["Unknown"])
        source = ",".join(data.get("Source", [task]))
        if cls is None:
            log.append(f"skip {task}: {why}")
        elif not license_allowed(licenses):
            log.append(f"skip {task}: instance license {'; '.join(licenses)}")
        elif per_class[cls] >= TASKS_PER_CLASS:
            log.append(f"skip {task}: {cls} already has {TASKS_PER_CLASS} tasks")
        elif per_source[source] >= TASKS_PER_SOURCE:
            log.append(f"skip {task}: source {source} already has {TASKS_PER_SOURCE} tasks")
        else:
            got = _task_rows(task, data, cls)
            if got:
                rows.extend(got)
                per_class[cls] += 1
                per_source[source] += 1
                langs = data.get("Input_language", [])
                langs = langs if isinstance(langs, str) else ",".join(langs)
                log.append(
                    f"keep {task}: {cls} ({why}); {len(got)} rows; {langs}; {'; '.join(licenses)}"
                )
    return rows, log


def load_sni_rows(path: Path = SNI_FILE) -> list[dict[str, Any]]:
    """The packaged derived rows (empty when the file is absent)."""
    if not path.exists():
        return []
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def _write(rows: Iterable[Mapping[str, Any]], out: Path) -> None:
    # mtime=0 keeps the gzip bytes the same for the same rows.
    with (
        out.open("wb") as raw,
        gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as gz,
    ):
        for row in rows:
            gz.write((json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n").encode())


def main(argv: list[str]) -> None:  # pragma: no cover - the documented rebuild command
    if len(argv) < 2:
        raise SystemExit("usage: python -m tierwise.router.sni_corpus TASKS_DIR [OUT.jsonl.gz]")
    rows, log = build_rows(Path(argv[1]))
    out = Path(argv[2]) if len(argv) > 2 else SNI_FILE
    _write(rows, out)
    print("\n".join(log))
    counts = Counter(str(r["class"]) for r in rows)
    print(f"wrote {len(rows)} rows to {out}: {dict(sorted(counts.items()))}")


if __name__ == "__main__":  # pragma: no cover
    main(sys.argv)
