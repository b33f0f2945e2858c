"""bench.nlu_threshold: the out-of-fold table and the choice, on a tiny subset of nlu.yml (no timing thresholds)."""

from collections import defaultdict
from itertools import pairwise

import pytest

from bench import nlu_threshold
from bench.nlu_threshold import THRESHOLDS, Answer, choose, measure, render, tabulate
from nlu.classifier import load_examples


def _subset(per_stratum: int):
    """The first `per_stratum` examples of each (intent, language) of nlu.yml: a few hundred, every stratum."""
    kept, seen = [], defaultdict(int)
    for example in load_examples(nlu_threshold.TRAINING):
        key = (example.intent, example.language)
        if seen[key] < per_stratum:
            seen[key] += 1
            kept.append(example)
    return kept


def test_two_folds_on_a_few_hundred_examples_give_one_row_per_candidate_and_a_candidate_is_chosen():
    examples = _subset(12)
    assert 200 <= len(examples) <= 300
    rows, calibration = measure(examples, folds=2, shuffles=1, quiet=True)
    assert set(calibration) == {"uncalibrated (T = 1)", "temperature-scaled"}
    assert all(0.0 <= ece <= 1.0 and 0.0 <= wrong <= 1.0 for ece, wrong in calibration.values())
    assert [row.threshold for row in rows] == list(THRESHOLDS)
    assert THRESHOLDS[0] == 0.40 and THRESHOLDS[-1] == 0.80 and len(THRESHOLDS) == 9
    tickets = rows[0].tickets
    assert 0 < tickets <= len(examples)
    for row in rows:
        assert row.tickets == tickets
        assert row.asked == row.asked_wrong + row.right_asked
        assert row.asked_wrong + row.wrong_through <= tickets
        assert len(row.costs) == 1 and row.costs[0] == pytest.approx(row.cost)
    # A higher threshold asks at least as often and lets no more wrong tickets through.
    assert all(a.asked <= b.asked and a.wrong_through >= b.wrong_through for a, b in pairwise(rows))
    chosen = choose(rows)
    assert chosen.threshold in THRESHOLDS
    section = render(rows, chosen, examples=len(examples), folds=2, shuffles=1, calibration=calibration)
    assert "| temperature-scaled |" in section
    assert section.count("\n| 0.") == len(THRESHOLDS)
    assert f"Chosen: **{chosen.threshold:.2f}**" in section


def test_counts_and_the_rule_on_answers_made_up_by_hand():
    shuffle = [
        Answer("inquiry", "inquiry", 0.95, "en"),  # right, sure: a ticket at every threshold
        Answer("complaint", "inquiry", 0.90, "en"),  # wrong, sure: a wrong ticket at every threshold
        Answer("inquiry", "inquiry", 0.50, "ko"),  # right, unsure: asked from 0.55 up
        Answer("greet", "complaint", 0.42, "hu"),  # wrong, unsure: asked from 0.45 up
        Answer("greet", "greet", 0.30, "hu"),  # not a ticket intent: never counted
    ]
    rows = {row.threshold: row for row in tabulate([shuffle, shuffle])}
    assert (rows[0.40].asked, rows[0.40].wrong_through, rows[0.40].right_asked) == (0, 2, 0)
    assert (rows[0.45].asked, rows[0.45].asked_wrong, rows[0.45].wrong_through) == (1, 1, 1)
    assert (rows[0.55].asked, rows[0.55].right_asked, rows[0.55].wrong_through) == (2, 1, 1)
    assert rows[0.40].tickets == 4
    assert rows[0.55].cost == 1.5 and rows[0.55].costs == (1.5, 1.5)
    # 0.45 and 0.50 both cost 1.0 (one wrong ticket, nothing right asked): the tie goes to the lower.
    assert choose(list(rows.values())).threshold == 0.45


def test_bad_inputs_are_refused():
    with pytest.raises(ValueError):
        choose([])
    with pytest.raises(ValueError):
        tabulate([])
    with pytest.raises(SystemExit) as exit_:
        nlu_threshold.main(["--folds", "1"])
    assert exit_.value.code == 2
