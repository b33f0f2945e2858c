"""An organisation's embedded classifier, fitted on nlu.yml plus its staff's corrections of ticket categories.

`charterdesk nlu retrain` fits it (scikit-learn, in that command's process) and keeps it beside the
shared fit in the cache folder, named by a hash of the organisation's name and of what the fit
depends on (the training file and nlu's code). `charterdesk run` loads it, numpy only,
when the charter opts in (`nlu: {learn_from_corrections: true}`); a changed nlu.yml or fitting code
makes it stale, and the bot falls back to the shared fit until someone retrains.

The fitted model holds n-grams of the corrected messages. A retrain removes the organisation's
older fits, so a message erased since (/forget, retention) leaves the model at the next retrain.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from nlu.cache import cache_root
from nlu.classifier import DATA_DIR, LANGUAGES, Example, load_examples
from nlu.embedded import TRAINING_FILE, EmbeddedClassifier

log = logging.getLogger(__name__)

# The ticket intents a correction can teach (a staff correction names one of these categories).
TEACHABLE = ("inquiry", "complaint", "appointment_request")


@dataclass(frozen=True)
class Corrected:
    """One corrected message: its text, the category staff gave it, the language it was written in."""

    text: str
    category: str
    language: str


@dataclass(frozen=True)
class Retrained:
    """What a retrain fitted and where it is kept."""

    path: Path
    base: int  # examples of nlu.yml
    added: int  # corrected messages folded in
    skipped: int  # corrected messages in a language the classifier is not trained for, or of no ticket intent


def training_examples(base: Sequence[Example], corrected: Iterable[Corrected]) -> tuple[list[Example], int]:
    """nlu.yml's examples plus each usable correction as an Example; and how many corrections were skipped."""
    added, skipped = [], 0
    for item in corrected:
        if item.language in LANGUAGES and item.category in TEACHABLE and item.text.strip():
            added.append(Example(text=item.text.strip(), intent=item.category, language=item.language))
        else:
            skipped += 1
    return [*base, *added], skipped


def model_path(organisation: str, *, data_dir: Path = DATA_DIR, cache_dir: Path | None = None) -> Path:
    """Where the organisation's corrected fit for this training data and fitting code is kept."""
    return _folder(cache_dir) / f"{_prefix(organisation)}{_fit_key(Path(data_dir) / TRAINING_FILE)}.npz"


def retrain(
    organisation: str, corrected: Iterable[Corrected], *, data_dir: Path = DATA_DIR, cache_dir: Path | None = None
) -> Retrained:
    """Fit on nlu.yml plus the corrections (imports scikit-learn) and keep it for `load`."""
    base = load_examples(Path(data_dir) / TRAINING_FILE)
    examples, skipped = training_examples(base, corrected)
    classifier = EmbeddedClassifier.from_examples(examples)
    path = model_path(organisation, data_dir=data_dir, cache_dir=cache_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(f".{os.getpid()}.partial")
    partial.write_bytes(classifier.to_bytes())
    partial.replace(path)  # atomic: a bot starting meanwhile reads the old fit or the new one
    for old in path.parent.glob(f"{_prefix(organisation)}*.npz"):
        if old != path:
            old.unlink(missing_ok=True)  # an older fit may hold n-grams of messages erased since
    return Retrained(path=path, base=len(base), added=len(examples) - len(base), skipped=skipped)


def load(organisation: str, *, data_dir: Path = DATA_DIR, cache_dir: Path | None = None) -> EmbeddedClassifier | None:
    """The organisation's corrected fit for the current data and code, or None (none yet, stale, unreadable)."""
    path = model_path(organisation, data_dir=data_dir, cache_dir=cache_dir)
    try:
        return EmbeddedClassifier.from_bytes(path.read_bytes())
    except FileNotFoundError:
        if any(path.parent.glob(f"{_prefix(organisation)}*.npz")):
            log.warning(
                "the fit with staff corrections is stale (nlu.yml or its code changed): run `charterdesk nlu retrain`"
            )
        return None
    except (OSError, ValueError) as exc:
        log.warning("the fit with staff corrections at %s is unreadable (%s): using the shared fit", path, exc)
        return None


def _folder(cache_dir: Path | None) -> Path:
    return Path(cache_dir or cache_root() / "embedded")


def _prefix(organisation: str) -> str:
    # A hash, not the name: names are Korean, Hungarian, and need not be safe in a file name.
    return f"corrected-{hashlib.sha256(organisation.encode()).hexdigest()[:12]}-"


def _fit_key(training: Path) -> str:
    # Every module of nlu/, not a list of the fitting ones: a module added to the fit later must not
    # leave an old fit served; a change elsewhere in nlu/ costs only a retrain.
    digest = hashlib.sha256()
    for path in (training, *sorted(Path(__file__).parent.glob("*.py"))):
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]
