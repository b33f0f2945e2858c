"""Rasa's cache, model key and setup errors, without running Rasa (tests/nlu/test_rasa_integration.py does)."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from nlu import rasa_project
from nlu.rasa_project import RasaPaths, domain_intents, model_key
from nlu.rasa_runtime import (
    RasaSetupError,
    ensure_model,
    ensure_venv,
    rasa_environment,
    wait_until_ready,
)


@pytest.fixture
def copies(tmp_path: Path) -> tuple[Path, Path, Path]:
    """Copies of nlu.yml, config.yml and domain.yml to change."""
    return tuple(
        Path(shutil.copy(source, tmp_path / source.name))
        for source in (rasa_project.TRAINING_FILE, rasa_project.CONFIG_FILE, rasa_project.DOMAIN_FILE)
    )


def test_model_key_follows_training_data_pipeline_and_intents(copies) -> None:
    training, config, domain = copies
    key = model_key(training, config, domain)
    assert key == model_key(training, config, domain) and len(key) == 16

    training.write_text(training.read_text(encoding="utf-8") + "    - one more greeting\n", encoding="utf-8")
    assert model_key(training, config, domain) != key
    training.write_bytes(rasa_project.TRAINING_FILE.read_bytes())

    config.write_text(config.read_text(encoding="utf-8").replace("epochs:", "epochs: 1 #"), encoding="utf-8")
    assert model_key(training, config, domain) != key
    config.write_bytes(rasa_project.CONFIG_FILE.read_bytes())

    document = yaml.safe_load(domain.read_text(encoding="utf-8"))
    document["responses"] = {}  # texts the bot says do not change what the NLU model learns
    domain.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    assert model_key(training, config, domain) == key
    document["intents"].append("small_talk")
    domain.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    assert model_key(training, config, domain) != key


def test_held_out_data_is_not_part_of_the_model() -> None:
    assert rasa_project.TRAINING_FILE.name == "nlu.yml"
    assert "test.yml" not in rasa_project.CONFIG_FILE.read_text(encoding="utf-8")
    assert domain_intents()[:7] == [
        "inquiry",
        "complaint",
        "appointment_request",
        "check_status",
        "greet",
        "thanks",
        "out_of_scope",
    ]


def test_pipeline_uses_the_hangul_safe_tokenizer_diet_and_fallback() -> None:
    config = yaml.safe_load(rasa_project.CONFIG_FILE.read_text(encoding="utf-8"))
    names = [component["name"] for component in config["pipeline"]]
    assert names[0] == "nlu.rasa_components.hangul_tokenizer.HangulSafeTokenizer"
    assert "WhitespaceTokenizer" not in names
    assert {"DIETClassifier", "FallbackClassifier"} <= set(names)
    module = rasa_project.PROJECT_DIR / (names[0].rsplit(".", 1)[0].replace(".", "/") + ".py")
    assert module.exists(), "Rasa imports the component from the project folder"


def test_cache_location_honours_charterdesk_cache_and_xdg(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.delenv("CHARTERDESK_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert RasaPaths.default().root == tmp_path / "xdg" / "charterdesk"
    monkeypatch.setenv("CHARTERDESK_CACHE", str(tmp_path / "mine"))
    paths = RasaPaths.default()
    assert paths.venv == tmp_path / "mine" / "rasa-venv"
    assert paths.model_for("abc") == tmp_path / "mine" / "rasa-models" / "abc.tar.gz"


def test_rasa_runs_with_a_private_home_and_no_telemetry(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("VIRTUAL_ENV", "/work/main/.venv")
    env = rasa_environment(RasaPaths(tmp_path))
    assert env["HOME"] == str(tmp_path / "rasa-home") and (tmp_path / "rasa-home").is_dir()
    assert env["RASA_TELEMETRY_ENABLED"] == "false"
    assert "VIRTUAL_ENV" not in env


def test_missing_python_310_is_a_clear_error(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CHARTERDESK_RASA_PYTHON", str(tmp_path / "no-python3.10"))
    with pytest.raises(RasaSetupError, match="Rasa needs Python 3.10.13, not found at .*no-python3.10"):
        ensure_venv(RasaPaths(tmp_path / "cache"), lambda line: None)


def test_a_failing_install_says_so_and_leaves_no_half_venv(monkeypatch, tmp_path: Path) -> None:
    # A "python" whose every command fails, as pip does when it cannot reach the index.
    fake = tmp_path / "python3.10"
    fake.write_text("#!/bin/sh\necho 'no network' >&2\nexit 3\n")
    fake.chmod(0o755)
    monkeypatch.setenv("CHARTERDESK_RASA_PYTHON", str(fake))
    paths = RasaPaths(tmp_path / "cache")
    with pytest.raises(RasaSetupError, match=r"(?s)python -m venv failed \(exit 3\).*no network"):
        ensure_venv(paths, lambda line: None)
    assert not paths.venv.exists()


def test_a_trained_model_with_the_current_key_is_reused(tmp_path: Path) -> None:
    paths = RasaPaths(tmp_path)
    paths.models.mkdir(parents=True)
    cached = paths.model_for(model_key())
    cached.write_bytes(b"a model")
    said: list[str] = []
    assert ensure_model(paths, said.append, python=Path("/nonexistent/python")) == cached
    assert said == [f"Rasa model: reusing {cached}"]


def test_waiting_for_a_server_that_died_shows_its_log(tmp_path: Path) -> None:
    log = tmp_path / "server.log"
    log.write_text("Traceback ...\nModuleNotFoundError: No module named 'nlu'\n")
    died = subprocess.Popen([sys.executable, "-c", "raise SystemExit(1)"])
    died.wait()
    with pytest.raises(RasaSetupError, match="exited with 1:\nTraceback ...\nModuleNotFoundError"):
        wait_until_ready("http://127.0.0.1:9", died, log, timeout=5, say=lambda line: None)


def test_only_the_newest_models_are_kept(tmp_path: Path) -> None:
    import os

    from nlu.rasa_runtime import _prune

    for age, name in enumerate(["newest", "newer", "older", "oldest"]):
        model = tmp_path / f"{name}.tar.gz"
        model.write_bytes(b"model")
        os.utime(model, (1_000_000 - age * 100, 1_000_000 - age * 100))
    _prune(tmp_path, keep=2)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["newer.tar.gz", "newest.tar.gz"]
