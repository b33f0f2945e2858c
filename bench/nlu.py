"""NLU benchmark: the embedded classifier against Rasa DIET on the held-out nlu/data/test.yml.

Both are trained from nlu/data/nlu.yml only. Each runs in its own process, so start-up time and
resident memory are its own: the embedded classifier in a child Python (start-up = import + load
on an empty cache, which fits with scikit-learn in a grandchild; the child itself never imports
scikit-learn or scipy, as the bot does not), Rasa as `rasa run --enable-api` (start-up = process start to model loaded; its venv and
model come from the cache `charterdesk nlu rasa train` fills). Latency is per message as the bot
pays it: an in-process call for the embedded classifier, an HTTP round trip on loopback for Rasa.

    python -m bench.nlu [--rasa-url URL]     # URL: an already running server (no start-up figures)
    python -m bench.nlu --cv [--seeds N]     # choose the embedded features: k-fold CV on nlu.yml only
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from bench.procstat import memory_mb
from bench.report import write_section
from nlu.classifier import INTENTS, LANGUAGES, UNDETERMINED, Classification, load_examples
from nlu.evaluate import TEST_YML, LabelledMessage, Report, score

ROOT = Path(__file__).resolve().parent.parent
COMMAND = "python -m bench.nlu"


@dataclass
class Run:
    """One classifier's answers on the held-out set and what they cost."""

    name: str
    report: Report
    predicted: list[str]
    startup_s: float | None
    rss_mb: float
    peak_rss_mb: float
    latencies_ms: np.ndarray
    cached_startup_s: float | None = None  # loading the fit from the cache instead of training


def held_out() -> list[LabelledMessage]:
    """nlu/data/test.yml as labelled messages."""
    return [
        LabelledMessage(e.language, e.intent, e.text, line=n)
        for n, e in enumerate(load_examples(TEST_YML), 1)
    ]


def embedded_worker() -> None:
    """In a child process, as the bot starts: load (a cache miss: fit in a grandchild), classify, report."""
    started = time.perf_counter()
    from nlu.embedded import EmbeddedClassifier

    with tempfile.TemporaryDirectory() as cache:
        classifier = EmbeddedClassifier.load(cache_dir=Path(cache))  # empty cache: fits, stores
        startup = time.perf_counter() - started
        before = time.perf_counter()
        EmbeddedClassifier.load(cache_dir=Path(cache))
        cached = time.perf_counter() - before
    answers, latencies = [], []
    for message in tqdm(held_out(), desc="embedded", unit="msg", file=sys.stderr):
        before = time.perf_counter()
        answer = classifier.classify_sync(message.text)
        latencies.append(time.perf_counter() - before)
        answers.append([answer.intent, answer.confidence, answer.language])
    rss, peak = memory_mb(os.getpid())
    heavy = sorted({name.split(".")[0] for name in sys.modules} & {"sklearn", "scipy"})
    result = {"startup": startup, "cached": cached, "answers": answers, "latencies": latencies}
    print(json.dumps({**result, "rss": rss, "peak": peak, "heavy": heavy}))


def run_embedded(messages: list[LabelledMessage]) -> Run:
    """The embedded classifier in a fresh Python process."""
    done = subprocess.run(
        [sys.executable, "-m", "bench.nlu", "--embedded-worker"], cwd=ROOT, stdout=subprocess.PIPE, check=True
    )
    result = json.loads(done.stdout)
    if result["heavy"]:
        raise SystemExit(
            f"the embedded classifier imported {result['heavy']}: its memory figure would be wrong"
        )
    predictions = [
        Classification(intent, confidence, language) for intent, confidence, language in result["answers"]
    ]
    run = _run(
        "embedded (scikit-learn fit, numpy scoring)",
        messages,
        predictions,
        result["latencies"],
        result["startup"],
        result["rss"],
        result["peak"],
    )
    run.cached_startup_s = result["cached"]
    return run


def run_rasa(messages: list[LabelledMessage], url: str | None) -> Run:
    """Rasa DIET: a server started here (or the one at `url`), asked over HTTP like the bot does."""
    from nlu.rasa_project import RasaPaths
    from nlu.rasa_runtime import ensure_model, ensure_venv, start_server, stop_server, wait_until_ready

    def say(line: str) -> None:
        tqdm.write(line, file=sys.stderr)

    process = None
    startup = None
    if url is None:
        paths = RasaPaths.default()
        model = ensure_model(paths, say, python=ensure_venv(paths, say))
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        log = paths.root / "rasa-bench.log"
        started = time.perf_counter()
        process = start_server(paths, model, port=port, log=log)
        wait_until_ready(url, process, log, timeout=600, say=say)
        startup = time.perf_counter() - started
    try:
        predictions, latencies = asyncio.run(_ask_rasa(url, messages))
        rss, peak = memory_mb(process.pid) if process else (float("nan"), float("nan"))
    finally:
        if process is not None:
            stop_server(process)
    return _run("Rasa 3.6.21 DIET", messages, predictions, latencies, startup, rss, peak)


class _NoFallback:
    async def classify(self, text: str, *, hint: str | None = None) -> Classification:
        return Classification("out_of_scope", 0.0, UNDETERMINED)


async def _ask_rasa(url: str, messages: list[LabelledMessage]) -> tuple[list[Classification], list[float]]:
    from nlu.rasa import RasaClassifier

    rasa = RasaClassifier(url, fallback=_NoFallback(), timeout=30)
    await rasa.classify("warm up")
    predictions, latencies = [], []
    try:
        for message in tqdm(messages, desc="rasa", unit="msg", file=sys.stderr):
            before = time.perf_counter()
            predictions.append(await rasa.classify(message.text))
            latencies.append(time.perf_counter() - before)
    finally:
        await rasa.close()
    if rasa.fallbacks:
        raise SystemExit(f"Rasa failed on {rasa.fallbacks} messages: these figures would not be Rasa's")
    return predictions, latencies


def _run(name, messages, predictions, latencies, startup, rss, peak) -> Run:
    report = score(messages, predictions, latencies)
    return Run(
        name,
        report,
        [p.intent for p in predictions],
        startup,
        rss,
        peak,
        np.asarray(latencies, dtype=float) * 1000.0,
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def render(runs: list[Run], messages: list[LabelledMessage], load: float | None = None) -> str:
    """The markdown section: quality per language, cost, and a confusion matrix per classifier."""
    lines = [
        "## NLU: embedded classifier vs Rasa DIET on the held-out set",
        "",
        (
            f"{len(messages)} messages of nlu/data/test.yml ({', '.join(LANGUAGES)}; never used for "
            "training), 7 intents. Both classifiers are trained from nlu/data/nlu.yml only. Latency is "
            "per message as the bot pays it (in-process call / HTTP round trip on loopback); start-up "
            "is import + fit on an empty cache (embedded: scikit-learn fits in a child process; in "
            "brackets: loading the fit from the cache keyed by the data's hash, as the bot does on every "
            "later start) or process start to model loaded (Rasa); memory is the classifier process's "
            "resident set (embedded: the process that loaded the fit and classified the set; it never "
            "imports scikit-learn or scipy)."
        ),
        "",
        "| classifier | macro-F1 | "
        + " | ".join(f"{lang} macro-F1" for lang in LANGUAGES)
        + " | accuracy | p50 ms | p99 ms | start-up s | RSS MB (peak) |",
        "|---|---|" + "---|" * len(LANGUAGES) + "---|---|---|---|---|",
    ]
    if load is not None:
        lines[-2:-2] = [
            f"1-minute load average when the run ended: {load:.2f} on {os.cpu_count()} cores.",
            "",
        ]
    for run in runs:
        by_language = {s.language: s.macro_f1 for s in run.report.per_language}
        startup = "-" if run.startup_s is None else f"{run.startup_s:.2f}"
        if run.cached_startup_s is not None:
            startup += f" (cached {run.cached_startup_s:.2f})"
        lines.append(
            f"| {run.name} | **{run.report.macro_f1:.3f}** | "
            + " | ".join(f"{by_language.get(lang, float('nan')):.3f}" for lang in LANGUAGES)
            + f" | {run.report.accuracy:.3f} | {np.percentile(run.latencies_ms, 50):.2f} | "
            f"{np.percentile(run.latencies_ms, 99):.2f} | {startup} | {run.rss_mb:.0f} ({run.peak_rss_mb:.0f}) |"
        )
    lines += [
        "",
        "Per intent F1:",
        "",
        "| intent | " + " | ".join(run.name for run in runs) + " |",
        "|---|" + "---|" * len(runs),
    ]
    for index, intent in enumerate(INTENTS):
        lines.append(
            f"| {intent} | " + " | ".join(f"{run.report.per_intent[index].f1:.3f}" for run in runs) + " |"
        )
    # Imported here: the embedded worker runs this module and must not load scikit-learn.
    from sklearn.metrics import confusion_matrix

    gold = [m.intent for m in messages]
    for run in runs:
        matrix = confusion_matrix(gold, run.predicted, labels=list(INTENTS))
        short = [intent.split("_")[0][:9] for intent in INTENTS]
        lines += [
            "",
            f"Confusion matrix, {run.name} (rows: gold, columns: predicted):",
            "",
            "| gold \\ predicted | " + " | ".join(short) + " |",
            "|---|" + "---|" * len(INTENTS),
        ]
        lines += [
            f"| {intent} | " + " | ".join(str(n) for n in row) + " |" for intent, row in zip(INTENTS, matrix)
        ]
    return "\n".join(lines)


_BASE = [("intent", "char_wb", 1, 3), ("intent", "word", 1, 2), ("intent_joined", "char", 2, 4)]
# Candidate n-gram families for the intent model; (preprocess, kind, low, high) as in nlu.features.Analyzer.
CV_CANDIDATES: list[tuple[str, list[tuple[str, str, int, int]], float]] = [
    ("char_wb 1-3 + words 1-2 + joined char 2-4", [*_BASE], 300.0),
    ("  same, C=100", [*_BASE], 100.0),
    ("  same, C=1000", [*_BASE], 1000.0),
    ("char_wb 1-4 + words 1-2 + joined char 2-4", [("intent", "char_wb", 1, 4), *_BASE[1:]], 300.0),
    ("char_wb 1-3 + words 1-2", _BASE[:2], 300.0),
    (
        "char_wb 1-3 + words 1-2 + joined char 2-4 + jamo char_wb 2-5",
        [*_BASE, ("jamo", "char_wb", 2, 5)],
        300.0,
    ),
    ("  same, jamo char_wb 3-6", [*_BASE, ("jamo", "char_wb", 3, 6)], 300.0),
    ("  same, jamo char 3-6", [*_BASE, ("jamo", "char", 3, 6)], 300.0),
]


def cross_validate(seeds: int = 2, folds: int = 5) -> str:
    """Macro-F1 of each candidate by stratified k-fold CV on nlu/data/nlu.yml (never test.yml), as markdown."""
    from sklearn.metrics import f1_score
    from sklearn.model_selection import StratifiedKFold
    from threadpoolctl import threadpool_limits

    from nlu.embedded import TRAINING_FILE
    from nlu.features import Analyzer
    from nlu.fit import INTENT_C, INTENT_FEATURES, tfidf_pipeline

    examples = load_examples(ROOT / "nlu" / "data" / TRAINING_FILE)
    texts = np.array([e.text for e in examples], dtype=object)
    gold = np.array([e.intent for e in examples])
    languages = np.array([e.language for e in examples])
    strata = [f"{e.intent}|{e.language}" for e in examples]
    lines = [
        f"## NLU: choosing the embedded classifier's features ({folds}-fold CV on nlu.yml, {seeds} shuffles)",
        "",
        (
            f"{len(examples)} training examples; folds stratified by intent and language; macro-F1 of the "
            "out-of-fold predictions, averaged over the shuffles. The held-out test.yml plays no part. "
            "Shipped: the row marked *."
        ),
        "",
        "| features | C | macro-F1 | " + " | ".join(f"{lang}" for lang in LANGUAGES) + " |",
        "|---|---|---|" + "---|" * len(LANGUAGES),
    ]
    for name, parts, c in tqdm(CV_CANDIDATES, desc="cv", file=sys.stderr):
        analyzers = [Analyzer(*part) for part in parts]
        scores = {key: [] for key in ("all", *LANGUAGES)}
        for seed in range(seeds):
            predicted = np.empty(len(gold), dtype=object)
            for train, test in StratifiedKFold(folds, shuffle=True, random_state=seed).split(texts, strata):
                with threadpool_limits(limits=1):
                    model = tfidf_pipeline(analyzers, c=c).fit(list(texts[train]), gold[train])
                predicted[test] = model.predict(list(texts[test]))
            predicted = predicted.astype(str)
            scores["all"].append(f1_score(gold, predicted, average="macro"))
            for lang in LANGUAGES:
                mask = languages == lang
                scores[lang].append(f1_score(gold[mask], predicted[mask], average="macro"))
        shipped = " *" if (tuple(analyzers), c) == (INTENT_FEATURES, INTENT_C) else ""
        lines.append(
            f"| {name.strip()}{shipped} | {c:g} | {np.mean(scores['all']):.4f} | "
            + " | ".join(f"{np.mean(scores[lang]):.4f}" for lang in LANGUAGES)
            + " |"
        )
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rasa-url", help="use this running Rasa server instead of starting one")
    parser.add_argument("--cv", action="store_true", help="cross-validate the embedded feature candidates")
    parser.add_argument("--seeds", type=int, default=2, help="CV shuffles (with --cv)")
    parser.add_argument("--embedded-worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.embedded_worker:
        embedded_worker()
        return 0
    if args.cv:
        body = cross_validate(seeds=args.seeds)
        print(body)
        path = write_section("nlu-cv", body, command=f"{COMMAND} --cv --seeds {args.seeds}")
        print(f"\nwritten to {path}", file=sys.stderr)
        return 0
    messages = held_out()
    runs = [run_embedded(messages), run_rasa(messages, args.rasa_url)]
    body = render(runs, messages, load=os.getloadavg()[0])
    print(body)
    path = write_section("nlu", body, command=COMMAND + (" --rasa-url URL" if args.rasa_url else ""))
    print(f"\nwritten to {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
