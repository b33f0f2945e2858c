"""Confidence that means what it says: temperature scaling, and the measures of calibration.

A logistic regression with little regularisation on n-grams is far surer than it is right (issue 16:
half of its wrong answers came with confidence 0.98-1.00). Dividing its scores by one temperature T,
fitted on answers the model did not train on, keeps every ranking and makes the top probability
track the share of right answers. numpy only: the bot applies T when it scores.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

# log T is searched on this grid, then refined: T from 0.05 (sharpen) to 50 (soften).
_LOG_T_GRID = np.linspace(np.log(0.05), np.log(50.0), 141)
ECE_BINS = 10


def softmax(scores: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """Row-wise softmax of `scores` / `temperature` (1-D or 2-D)."""
    if temperature <= 0:
        raise ValueError(f"temperature must be positive, not {temperature}")
    scaled = np.asarray(scores, dtype=float) / temperature
    scaled = scaled - scaled.max(axis=-1, keepdims=True)
    exp = np.exp(scaled)
    return exp / exp.sum(axis=-1, keepdims=True)


def negative_log_likelihood(scores: np.ndarray, gold: Sequence[int], temperature: float) -> float:
    """Mean -log p(gold) under softmax(scores / temperature)."""
    probabilities = softmax(scores, temperature)
    picked = probabilities[np.arange(len(gold)), np.asarray(gold)]
    return float(-np.mean(np.log(np.clip(picked, 1e-300, None))))


def fit_temperature(scores: np.ndarray, gold: Sequence[int]) -> float:
    """The T minimising the negative log-likelihood of `gold` (class indices) under softmax(scores / T)."""
    scores = np.asarray(scores, dtype=float)
    if scores.ndim != 2 or len(scores) != len(gold) or not len(gold):
        raise ValueError("need one row of class scores per gold label")
    losses = [negative_log_likelihood(scores, gold, float(np.exp(t))) for t in _LOG_T_GRID]
    best = int(np.argmin(losses))
    low = _LOG_T_GRID[max(best - 1, 0)]
    high = _LOG_T_GRID[min(best + 1, len(_LOG_T_GRID) - 1)]
    # Golden-section search between the grid neighbours (the loss is unimodal in log T).
    ratio = (np.sqrt(5.0) - 1.0) / 2.0
    for _ in range(40):
        a = high - ratio * (high - low)
        b = low + ratio * (high - low)
        if negative_log_likelihood(scores, gold, float(np.exp(a))) <= negative_log_likelihood(
            scores, gold, float(np.exp(b))
        ):
            high = b
        else:
            low = a
    return float(np.exp((low + high) / 2.0))


def expected_calibration_error(confidences: Sequence[float], correct: Sequence[bool], bins: int = ECE_BINS) -> float:
    """Σ over equal-width confidence bins of (bin share) × |accuracy − mean confidence| in the bin."""
    confidences = np.asarray(confidences, dtype=float)
    correct = np.asarray(correct, dtype=float)
    if len(confidences) != len(correct):
        raise ValueError("one correctness flag per confidence")
    if not len(confidences):
        return 0.0
    # Bin i holds (i/bins, (i+1)/bins]; a confidence of exactly 0 joins the first bin.
    index = np.clip(np.ceil(confidences * bins).astype(int) - 1, 0, bins - 1)
    total = 0.0
    for b in range(bins):
        members = index == b
        if members.any():
            total += members.mean() * abs(correct[members].mean() - confidences[members].mean())
    return float(total)


def confident_wrong_share(confidences: Sequence[float], correct: Sequence[bool], at: float = 0.9) -> float:
    """Of the wrong answers, the share given with confidence ≥ `at` (0 when none is wrong)."""
    confidences = np.asarray(confidences, dtype=float)
    wrong = ~np.asarray(correct, dtype=bool)
    return float((confidences[wrong] >= at).mean()) if wrong.any() else 0.0
