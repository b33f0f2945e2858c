"""Choosing nlu.classifier.LOW_CONFIDENCE by cross-validation on nlu/data/nlu.yml only (never test.yml).

Every training example gets an out-of-fold answer from the embedded classifier (nlu.fit, the very
fit the bot loads), calibrated as the bot calibrates: the confidence is softmax(scores / T), with T
fitted (nlu.calibration.fit_temperature) on the out-of-fold scores of the OTHER folds only, so no
example's confidence was tuned on that example. Among the answers that would open a ticket, each
candidate threshold is costed by a rule fixed before the figures were seen (RULE). The section also
reports calibration of these out-of-fold answers before and after temperature scaling.

    python -m bench.nlu_threshold [--folds 5] [--shuffles 2]
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import astuple, dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from bench.report import write_section
from conversation.citizen.messages import TICKET_CATEGORIES
from nlu.classifier import LANGUAGES, LOW_CONFIDENCE, Example, load_examples

ROOT = Path(__file__).resolve().parent.parent
TRAINING = ROOT / "nlu" / "data" / "nlu.yml"
COMMAND = "python -m bench.nlu_threshold"
SECTION = "nlu-threshold"

# The intents the desk opens a ticket for when the classifier is certain (conversation.citizen.messages).
TICKET_INTENTS: tuple[str, ...] = tuple(TICKET_CATEGORIES)
THRESHOLDS: tuple[float, ...] = tuple(round(0.40 + 0.05 * step, 2) for step in range(9))  # 0.40 .. 0.80
# Asking costs the citizen one tap; a wrong ticket costs a wrong clock and a misrouted case.
ASK_COST = 0.5
RULE = (
    f"choose the threshold with the least wrong tickets through + {ASK_COST:g} × right-but-asked "
    "(asking costs the citizen one tap; a wrong ticket runs the wrong clock on a misrouted case); "
    "a tie goes to the lower threshold (fewer questions)"
)


@dataclass(frozen=True)
class Answer:
    """One training example's out-of-fold answer."""

    gold: str
    predicted: str
    confidence: float
    language: str


@dataclass(frozen=True)
class Row:
    """One candidate threshold's outcome, averaged over the shuffles."""

    threshold: float
    tickets: float  # answers that would open a ticket at threshold 0 (a ticket intent predicted)
    asked: float  # of those, confidence below the threshold: the citizen is asked to choose
    asked_wrong: float  # asked, and the predicted intent was wrong (a question that saved a wrong ticket)
    right_asked: float  # asked although the predicted intent was right (a needless tap)
    wrong_through: float  # confidence at or above the threshold, predicted intent wrong: a wrong ticket
    costs: tuple[float, ...] = ()  # the cost in each shuffle alone, to show how much of a gap is noise

    @property
    def cost(self) -> float:
        """The rule's cost: wrong tickets through + ASK_COST × right-but-asked."""
        return self.wrong_through + ASK_COST * self.right_asked


def strata(examples: Sequence[Example]) -> list[str]:
    """Stratum per example, as bench.nlu --cv stratifies: intent and language."""
    return [f"{e.intent}|{e.language}" for e in examples]


def out_of_fold(examples: Sequence[Example], *, folds: int, seed: int, progress=None) -> list[Answer]:
    """Each example classified by a fit on the other folds (stratified by intent and language), calibrated."""
    return calibrated(*out_of_fold_scores(examples, folds=folds, seed=seed, progress=progress), examples)


def out_of_fold_scores(
    examples: Sequence[Example], *, folds: int, seed: int, progress=None
) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """Out-of-fold class scores per example, each example's fold number, and the classes' order."""
    from sklearn.model_selection import StratifiedKFold

    from nlu.fit import fit_intent_model

    scores: np.ndarray | None = None
    fold_of = np.zeros(len(examples), dtype=int)
    classes: tuple[str, ...] = ()
    splitter = StratifiedKFold(folds, shuffle=True, random_state=seed)
    for number, (train, test) in enumerate(splitter.split(np.zeros(len(examples)), strata(examples))):
        model = fit_intent_model([examples[i] for i in train])
        classes = classes or model.classes
        if model.classes != classes:
            raise ValueError("a fold is missing an intent: too few examples to stratify")
        if scores is None:
            scores = np.zeros((len(examples), len(classes)))
        for i in test:
            scores[i] = model.class_scores(examples[i].text)
            fold_of[i] = number
        if progress is not None:
            progress.update(1)
    assert scores is not None
    return scores, fold_of, classes


def calibrated(
    scores: np.ndarray, fold_of: np.ndarray, classes: tuple[str, ...], examples: Sequence[Example], *, scale: bool = True
) -> list[Answer]:
    """Answers whose confidence is softmax(scores / T), T fitted on the other folds' scores (or 1)."""
    from nlu.calibration import fit_temperature, softmax

    gold = np.array([classes.index(e.intent) for e in examples])
    answers: list[Answer | None] = [None] * len(examples)
    for number in np.unique(fold_of):
        inside, outside = fold_of == number, fold_of != number
        temperature = fit_temperature(scores[outside], gold[outside]) if scale else 1.0
        probabilities = softmax(scores[inside], temperature)
        for row, i in zip(probabilities, np.flatnonzero(inside), strict=True):
            best = int(row.argmax())
            answers[i] = Answer(examples[i].intent, classes[best], float(row[best]), examples[i].language)
    return [a for a in answers if a is not None]


def calibration_of(answers: Sequence[Answer]) -> tuple[float, float]:
    """(expected calibration error, share of wrong answers with confidence ≥ 0.9)."""
    from nlu.calibration import confident_wrong_share, expected_calibration_error

    confidences = [a.confidence for a in answers]
    correct = [a.predicted == a.gold for a in answers]
    return expected_calibration_error(confidences, correct), confident_wrong_share(confidences, correct)


def tabulate(shuffles: Sequence[Sequence[Answer]], thresholds: Sequence[float] = THRESHOLDS) -> list[Row]:
    """Per threshold, the counts among ticket-intent answers, averaged over the shuffles."""
    if not shuffles:
        raise ValueError("no out-of-fold answers to count")
    rows = []
    for threshold in thresholds:
        each = [_count(answers, threshold) for answers in shuffles]
        mean = np.mean([astuple(row)[1:6] for row in each], axis=0)
        rows.append(Row(threshold, *mean.tolist(), costs=tuple(row.cost for row in each)))
    return rows


def _count(answers: Sequence[Answer], threshold: float) -> Row:
    tickets = [a for a in answers if a.predicted in TICKET_INTENTS]
    asked = [a for a in tickets if a.confidence < threshold]
    return Row(
        threshold,
        tickets=len(tickets),
        asked=len(asked),
        asked_wrong=sum(a.predicted != a.gold for a in asked),
        right_asked=sum(a.predicted == a.gold for a in asked),
        wrong_through=sum(a.predicted != a.gold and a.confidence >= threshold for a in tickets),
    )


def choose(rows: Sequence[Row]) -> Row:
    """The row RULE picks: least cost, ties to the lower threshold."""
    if not rows:
        raise ValueError("no candidate thresholds")
    return min(rows, key=lambda row: (round(row.cost, 9), row.threshold))


def measure(
    examples: Sequence[Example], *, folds: int = 5, shuffles: int = 2, quiet: bool = False
) -> tuple[list[Row], dict[str, tuple[float, float]]]:
    """The table, and calibration (ECE, wrong ≥ 0.9) of the out-of-fold answers raw and calibrated."""
    with tqdm(total=folds * shuffles, desc="folds", unit="fit", file=sys.stderr, disable=quiet) as progress:
        raw_scores = [out_of_fold_scores(examples, folds=folds, seed=seed, progress=progress) for seed in range(shuffles)]
    runs = [calibrated(*scores, examples) for scores in raw_scores]
    raw = [calibrated(*scores, examples, scale=False) for scores in raw_scores]
    calibration = {
        "uncalibrated (T = 1)": tuple(np.mean([calibration_of(a) for a in raw], axis=0).tolist()),
        "temperature-scaled": tuple(np.mean([calibration_of(a) for a in runs], axis=0).tolist()),
    }
    return tabulate(runs), calibration


def render(
    rows: Sequence[Row],
    chosen: Row,
    *,
    examples: int,
    folds: int,
    shuffles: int,
    calibration: dict[str, tuple[float, float]] | None = None,
) -> str:
    """The markdown section: the table, the rule, the choice."""

    def figure(value: float) -> str:
        return f"{value:.1f}" if shuffles > 1 else f"{value:.0f}"

    tickets = rows[0].tickets if rows else 0.0
    lines = [
        f"## NLU: the low-confidence threshold ({folds}-fold CV on nlu.yml, {shuffles} shuffles)",
        "",
        (
            f"{examples} training examples of nlu/data/nlu.yml ({', '.join(LANGUAGES)}); folds stratified by "
            "intent and language (seeds 0.."
            f"{shuffles - 1}); each example classified by the embedded classifier fitted on the other folds "
            "(nlu.fit.fit, calibrated and scored as the bot scores). The held-out test.yml plays no part. Counted among the "
            f"{figure(tickets)} out-of-fold answers predicting a ticket intent ({', '.join(TICKET_INTENTS)}); "
            "figures are means over the shuffles. Asked: confidence below the threshold, so the bot asks "
            "the citizen to choose; wrong: the predicted intent is not the labelled one."
        ),
        "",
        f"Rule (fixed before the figures were read): {RULE}.",
        "",
        "| threshold | asked | asked, wrong | right but asked | wrong tickets through | cost | cost per shuffle |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        mark = " **←**" if row is chosen else ""
        lines.append(
            f"| {row.threshold:.2f}{mark} | {figure(row.asked)} | {figure(row.asked_wrong)} | "
            f"{figure(row.right_asked)} | {figure(row.wrong_through)} | {row.cost:.2f} | "
            + " / ".join(f"{cost:g}" for cost in row.costs)
            + " |"
        )
    lines += [
        "",
        (
            f"Chosen: **{chosen.threshold:.2f}** (nlu.classifier.LOW_CONFIDENCE; it was {LOW_CONFIDENCE:.2f} "
            f"when this ran). It asks {figure(chosen.asked)} times ({figure(chosen.asked_wrong)} of them wrong) "
            f"and lets {figure(chosen.wrong_through)} wrong tickets through."
        ),
    ]
    if calibration:
        lines += [
            "",
            "Calibration of all out-of-fold answers (means over the shuffles; T fitted on the other folds):",
            "",
            "| scores | ECE | wrong answers with confidence ≥ 0.9 |",
            "|---|---|---|",
        ]
        lines += [f"| {name} | {ece:.3f} | {wrong:.1%} |" for name, (ece, wrong) in calibration.items()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Measure on nlu.yml, print the section and write it into docs/benchmarks.md."""
    parser = argparse.ArgumentParser(prog=COMMAND, description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=5, help="cross-validation folds (default 5)")
    parser.add_argument("--shuffles", type=int, default=2, help="shuffles to average over (default 2)")
    args = parser.parse_args(argv)
    if args.folds < 2 or args.shuffles < 1:
        parser.error("--folds must be at least 2 and --shuffles at least 1")
    examples = load_examples(TRAINING)
    rows, calibration = measure(examples, folds=args.folds, shuffles=args.shuffles)
    chosen = choose(rows)
    body = render(
        rows, chosen, examples=len(examples), folds=args.folds, shuffles=args.shuffles, calibration=calibration
    )
    print(body)
    path = write_section(SECTION, body, command=f"{COMMAND} --folds {args.folds} --shuffles {args.shuffles}")
    print(f"\nwritten to {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
