"""`charterdesk nlu rasa setup|train|serve`: Rasa 3.6 in its own venv and process, from nlu/data."""

import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from nlu.rasa_project import RasaPaths
from nlu.rasa_runtime import (
    RasaSetupError,
    ensure_model,
    ensure_venv,
    start_server,
    stop_server,
    wait_until_ready,
)

app = typer.Typer(
    help="Rasa 3.6 (own Python 3.10 venv under ~/.cache/charterdesk): build, train, serve.",
    no_args_is_help=True,
)
console = Console(stderr=True, highlight=False)

EXIT_FAILED = 1
START_TIMEOUT_SECONDS = 300.0


def say(line: str) -> None:
    """One progress line with the wall-clock time, so a person waiting sees it move."""
    console.print(f"[dim]{time.strftime('%H:%M:%S')}[/dim] {escape(line)}", soft_wrap=True)


@app.command()
def setup() -> None:
    """Build the Rasa venv (pip install rasa==3.6.21 on pyenv's Python 3.10.13), or reuse it."""
    with _failing_loudly():
        ensure_venv(RasaPaths.default(), say)


@app.command()
def train() -> None:
    """Train the NLU model from nlu/data/nlu.yml + nlu/config.yml + domain.yml, or reuse it."""
    with _failing_loudly():
        paths = RasaPaths.default()
        model = ensure_model(paths, say, python=ensure_venv(paths, say))
    typer.echo(str(model))


@app.command()
def serve(
    port: Annotated[int, typer.Option(help="port on 127.0.0.1")] = 5005,
    host: Annotated[str, typer.Option(help="interface to listen on")] = "127.0.0.1",
) -> None:
    """Set up and train if needed, then run the Rasa server with its HTTP API until Ctrl-C."""
    paths = RasaPaths.default()
    # SIGTERM (scripts/stack.sh, a service manager) stops Rasa in order, as Ctrl-C does.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    with _failing_loudly():
        model = ensure_model(paths, say, python=ensure_venv(paths, say))
        log = paths.root / "rasa-server.log"
        url = f"http://{host}:{port}"
        say(f"Rasa starting on {url} (about 15-60 s); log: {log}")
        process = start_server(paths, model, port=port, host=host, log=log)
        try:
            wait_until_ready(url, process, log, timeout=START_TIMEOUT_SECONDS, say=say)
            say(
                f"ready: use it with RASA_URL={url} (e.g. `charterdesk nlu eval --rasa {url} FILE`); Ctrl-C stops"
            )
            process.wait()
            raise RasaSetupError(f"rasa run exited with {process.returncode}; see {log}")
        except KeyboardInterrupt:
            say("stopping Rasa")
        finally:
            stop_server(process)


@contextmanager
def _failing_loudly() -> Iterator[None]:
    """Turn a RasaSetupError into its message on stderr and exit status 1."""
    try:
        yield
    except RasaSetupError as error:
        console.print(f"charterdesk nlu rasa: {error}", markup=False)
        raise typer.Exit(EXIT_FAILED) from None
