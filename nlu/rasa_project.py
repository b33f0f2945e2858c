"""Where the Rasa side lives: its venv, its trained models and the key that says a model is current.

Rasa 3.6 pins old libraries (SQLAlchemy 1.4, pydantic 1) and needs Python 3.10, so it gets its own
venv and process under the user's cache; Charterdesk never imports it (see nlu/rasa.py).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import yaml

from nlu.cache import cache_root
from nlu.classifier import DATA_DIR

RASA_VERSION = "3.6.21"
PYTHON_VERSION = "3.10.13"
NLU_DIR = DATA_DIR.parent
# The folder Rasa runs in: custom components import as nlu.rasa_components.* from here.
PROJECT_DIR = NLU_DIR.parent
TRAINING_FILE = DATA_DIR / "nlu.yml"  # never test.yml: that is the held-out set
CONFIG_FILE = NLU_DIR / "config.yml"
DOMAIN_FILE = PROJECT_DIR / "domain.yml"
COMPONENTS_DIR = NLU_DIR / "rasa_components"


@dataclass(frozen=True)
class RasaPaths:
    """Everything Charterdesk keeps for Rasa under one cache folder."""

    root: Path

    @classmethod
    def default(cls) -> RasaPaths:
        """Under nlu.cache.cache_root() (~/.cache/charterdesk unless configured)."""
        return cls(cache_root())

    @property
    def venv(self) -> Path:
        return self.root / "rasa-venv"

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python"

    @property
    def models(self) -> Path:
        return self.root / "rasa-models"

    @property
    def home(self) -> Path:
        """A private HOME: Rasa writes ~/.config/rasa and telemetry ids there, not in the user's."""
        return self.root / "rasa-home"

    @property
    def lock(self) -> Path:
        return self.root / "rasa.lock"

    def model_for(self, key: str) -> Path:
        return self.models / f"{key}.tar.gz"


def domain_intents(domain_file: Path = DOMAIN_FILE) -> list[str]:
    """The intents and entities of the domain: the only part of domain.yml an NLU model depends on."""
    domain = yaml.safe_load(domain_file.read_text(encoding="utf-8")) or {}
    return [*map(str, domain.get("intents") or []), "|", *map(str, domain.get("entities") or [])]


def model_key(
    training_file: Path = TRAINING_FILE, config_file: Path = CONFIG_FILE, domain_file: Path = DOMAIN_FILE
) -> str:
    """A hash of what a trained model depends on: data, pipeline, custom components, domain intents."""
    digest = hashlib.sha256(RASA_VERSION.encode())
    for path in (training_file, config_file, *sorted(COMPONENTS_DIR.glob("*.py"))):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    digest.update("\n".join(domain_intents(domain_file)).encode())
    return digest.hexdigest()[:16]
