"""Build Rasa's venv, train its model, run its server: subprocesses only, each step announced.

Every step reuses what is already there (a venv that imports the right Rasa, a model whose key
matches the data), so only the first run pays (~2 min install, ~1-5 min training on 2 cores).
A file lock keeps two test runs or two terminals from building the same thing at once.
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from nlu.rasa_project import (
    CONFIG_FILE,
    DOMAIN_FILE,
    PROJECT_DIR,
    PYTHON_VERSION,
    RASA_VERSION,
    TRAINING_FILE,
    RasaPaths,
    model_key,
)

Say = Callable[[str], None]

HEARTBEAT_SECONDS = 15.0
INSTALL_TIMEOUT_SECONDS = 45 * 60
TRAIN_TIMEOUT_SECONDS = 45 * 60
KEEP_MODELS = 3
_EPOCH = re.compile(r"Epochs:\s+\d+%\|[^|]*\|\s*(\d+)/(\d+)")


class RasaSetupError(RuntimeError):
    """Rasa could not be installed, trained or started; the message says why and where the log is."""


def base_python() -> Path:
    """Python 3.10 to build the venv from: $CHARTERDESK_RASA_PYTHON, else pyenv's 3.10.13."""
    explicit = os.environ.get("CHARTERDESK_RASA_PYTHON")
    if explicit:
        return Path(explicit)
    try:
        root = subprocess.run(["pyenv", "root"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        root = str(Path.home() / ".pyenv")
    return Path(root) / "versions" / PYTHON_VERSION / "bin" / "python"


def rasa_environment(paths: RasaPaths) -> dict[str, str]:
    """The Rasa process's environment: a private HOME, no telemetry, none of our venv's settings."""
    env = _without_our_python()
    paths.home.mkdir(parents=True, exist_ok=True)
    env.update(
        HOME=str(paths.home),
        RASA_TELEMETRY_ENABLED="false",
        TF_CPP_MIN_LOG_LEVEL="2",  # TensorFlow's start-up chatter about CPU instructions
        SQLALCHEMY_SILENCE_UBER_WARNING="1",
        PYTHONUNBUFFERED="1",
    )
    return env


def _without_our_python() -> dict[str, str]:
    """This environment minus what points a Python at Charterdesk's own venv."""
    return {k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME"}}


@contextmanager
def locked(paths: RasaPaths) -> Iterator[None]:
    """Hold the cache's lock: one builder or trainer at a time, across processes."""
    paths.root.mkdir(parents=True, exist_ok=True)
    with open(paths.lock, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def venv_works(paths: RasaPaths) -> bool:
    """Does the cached venv import Rasa of the pinned version?"""
    if not paths.python.exists():
        return False
    check = f"import sys, rasa; sys.exit(rasa.__version__ != {RASA_VERSION!r})"
    try:
        done = subprocess.run([str(paths.python), "-c", check], capture_output=True, timeout=300, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def ensure_venv(paths: RasaPaths, say: Say) -> Path:
    """The venv's python, building the venv (pip install rasa) unless a working one is cached."""
    with locked(paths):
        if venv_works(paths):
            say(f"Rasa {RASA_VERSION} venv: reusing {paths.venv}")
            return paths.python
        base = base_python()
        if not base.exists():
            raise RasaSetupError(
                f"Rasa needs Python {PYTHON_VERSION}, not found at {base}; "
                f"install it with `pyenv install {PYTHON_VERSION}` or set CHARTERDESK_RASA_PYTHON"
            )
        # Built beside the real one and renamed at the end: an interrupted install leaves no half venv.
        building = paths.root / "rasa-venv.building"
        shutil.rmtree(building, ignore_errors=True)
        log = paths.root / "rasa-setup.log"
        say(f"Rasa {RASA_VERSION} venv: building {paths.venv} from {base} (about 2 min, 2.7 GB)")
        _run([str(base), "-m", "venv", str(building)], log=log, say=say, what="python -m venv", timeout=300)
        _run(
            [
                str(building / "bin" / "python"),
                "-m",
                "pip",
                "install",
                "--progress-bar",
                "off",
                f"rasa=={RASA_VERSION}",
            ],
            log=log,
            say=say,
            what=f"pip install rasa=={RASA_VERSION}",
            timeout=INSTALL_TIMEOUT_SECONDS,
            progress=_pip_progress,
            env=_without_our_python(),
        )
        shutil.rmtree(paths.venv, ignore_errors=True)
        building.rename(paths.venv)
        if not venv_works(paths):
            raise RasaSetupError(
                f"the new venv at {paths.venv} does not import rasa {RASA_VERSION}; see {log}"
            )
        say(f"Rasa venv ready: {paths.venv}")
        return paths.python


def ensure_model(paths: RasaPaths, say: Say, *, python: Path | None = None) -> Path:
    """The trained model for the current nlu.yml + config.yml + domain intents, training it if needed."""
    with locked(paths):
        # Keyed inside the lock: data edited while another run trained must not reuse its model.
        key = model_key()
        target = paths.model_for(key)
        if target.exists():
            say(f"Rasa model: reusing {target}")
            return target
        paths.models.mkdir(parents=True, exist_ok=True)
        partial = f"{key}-partial"  # no dot: Rasa cuts a --fixed-model-name at its first suffix
        log = paths.root / "rasa-train.log"
        say(f"Rasa model: training {target.name} from {TRAINING_FILE.name} (1-5 min on 2 cores)")
        _run(
            [
                str(python or paths.python),
                "-m",
                "rasa",
                "train",
                "nlu",
                "--nlu",
                str(TRAINING_FILE),
                "--config",
                str(CONFIG_FILE),
                "--domain",
                str(DOMAIN_FILE),
                "--out",
                str(paths.models),
                "--fixed-model-name",
                partial,
            ],
            log=log,
            say=say,
            what="rasa train nlu",
            timeout=TRAIN_TIMEOUT_SECONDS,
            progress=_epoch_progress,
            env=rasa_environment(paths),
        )
        (paths.models / f"{partial}.tar.gz").rename(target)
        say(f"Rasa model ready: {target}")
        _prune(paths.models, keep=KEEP_MODELS)
        return target


def start_server(
    paths: RasaPaths, model: Path, *, port: int, log: Path, host: str = "127.0.0.1"
) -> subprocess.Popen:
    """`rasa run --enable-api` on host:port in the background; its output goes to `log`."""
    command = [
        str(paths.python),
        "-m",
        "rasa",
        "run",
        "--enable-api",
        "--model",
        str(model),
        "--interface",
        host,
        "--port",
        str(port),
    ]
    with open(log, "ab") as sink:
        return subprocess.Popen(
            command,
            cwd=PROJECT_DIR,
            env=rasa_environment(paths),
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C in a terminal reaches us, and we stop Rasa in order
        )


def wait_until_ready(url: str, process: subprocess.Popen, log: Path, *, timeout: float, say: Say) -> None:
    """Poll GET /status until the model is loaded; fail with the log's tail if Rasa dies or is slow."""
    started = time.monotonic()
    last_said = started
    while True:
        if process.poll() is not None:
            raise RasaSetupError(f"rasa run exited with {process.returncode}:\n{_tail(log)}")
        try:
            status = httpx.get(f"{url}/status", timeout=2.0)
            if status.status_code == 200 and status.json().get("model_file"):
                say(f"Rasa serving at {url} ({time.monotonic() - started:.0f} s to start)")
                return
        except (httpx.HTTPError, ValueError):
            pass
        now = time.monotonic()
        if now - started > timeout:
            raise RasaSetupError(f"Rasa did not answer at {url} within {timeout:.0f} s:\n{_tail(log)}")
        if now - last_said > HEARTBEAT_SECONDS:
            say(f"  ... Rasa still loading ({now - started:.0f} s)")
            last_said = now
        time.sleep(0.5)


def stop_server(process: subprocess.Popen, *, grace: float = 15.0) -> None:
    """SIGTERM, then SIGKILL after `grace` seconds."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _run(
    command: list[str],
    *,
    log: Path,
    say: Say,
    what: str,
    timeout: float,
    progress: Callable[[Path], str] | None = None,
    env: dict[str, str] | None = None,
) -> None:
    started = time.monotonic()
    with open(log, "ab") as sink:
        sink.write(f"\n$ {' '.join(command)}\n".encode())
        sink.flush()
        process = subprocess.Popen(command, cwd=PROJECT_DIR, env=env, stdout=sink, stderr=subprocess.STDOUT)
        while True:
            try:
                process.wait(timeout=HEARTBEAT_SECONDS)
                break
            except subprocess.TimeoutExpired:
                elapsed = time.monotonic() - started
                if elapsed > timeout:
                    process.kill()
                    process.wait()
                    raise RasaSetupError(f"{what} took over {timeout:.0f} s; see {log}") from None
                detail = progress(log) if progress else ""
                say(f"  ... {what}: {elapsed:.0f} s{', ' + detail if detail else ''}")
    if process.returncode != 0:
        raise RasaSetupError(f"{what} failed (exit {process.returncode}); log {log}:\n{_tail(log)}")
    say(f"  {what}: done in {time.monotonic() - started:.0f} s")


def _prune(models: Path, *, keep: int) -> None:
    """Delete all but the `keep` newest models: each is ~100 MB and only the current key is used."""
    for stale in sorted(models.glob("*.tar.gz"), key=lambda path: path.stat().st_mtime, reverse=True)[keep:]:
        stale.unlink(missing_ok=True)


def _pip_progress(log: Path) -> str:
    text = log.read_text(encoding="utf-8", errors="replace")
    if "Installing collected packages" in text.rsplit("$ ", 1)[-1]:
        return "installing"
    return f"{text.rsplit('$ ', 1)[-1].count('Collecting ')} packages fetched"


def _epoch_progress(log: Path) -> str:
    current = log.read_bytes()[-20_000:].decode("utf-8", errors="replace").rsplit("\n$ ", 1)[-1]
    matches = _EPOCH.findall(current)
    return f"epoch {matches[-1][0]}/{matches[-1][1]}" if matches else ""


def _tail(log: Path, lines: int = 25) -> str:
    try:
        text = log.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return f"(no log at {log})"
    # tqdm redraws with carriage returns; keep only the last state of each line.
    return "\n".join(line.rsplit("\r", 1)[-1] for line in text.split("\n")[-lines:])
