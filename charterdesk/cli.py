"""`charterdesk`: the command line (run, demo, bot, scheduler, migrate, charter, nlu, report, keys, org)."""

import asyncio
import logging
import sys
from typing import Annotated

import typer

from charterdesk.commands.charter import app as charter_app
from charterdesk.commands.keys import app as keys_app
from charterdesk.commands.nlu import app as nlu_app
from charterdesk.commands.org import app as org_app
from charterdesk.commands.report import app as report_app
from charterdesk.errors import StartupError
from charterdesk.logging_setup import configure_logging, log_format

app = typer.Typer(help="Charterdesk: a citizen front door that keeps a service charter's promises.", no_args_is_help=True)
app.add_typer(charter_app, name="charter", help="Validate a charter and compute its deadlines.")
app.add_typer(nlu_app, name="nlu", help="Classify citizens' messages and evaluate the classifier.")
app.add_typer(report_app, name="report", help="Charter-compliance figures of a period: text, CSV, PNG or HTML.")
app.add_typer(keys_app, name="keys", help="Data-encryption keys: rotate, retire, status.")
app.add_typer(org_app, name="org", help="Organisations served: add, list, check, disable.")


# `--log-json` on every long-running command; CHARTERDESK_LOG_FORMAT=json does the same.
LogJson = Annotated[
    bool, typer.Option("--log-json", help="Log one JSON object per line (also CHARTERDESK_LOG_FORMAT=json).")
]


def _run(coroutine, *, log_json: bool = False) -> None:
    """Run a process coroutine; a StartupError becomes one clear line on stderr and exit code 1."""
    chosen = log_format(json_flag=log_json)
    configure_logging(chosen)
    try:
        asyncio.run(coroutine)
    except StartupError as exc:
        if chosen == "json":  # a log collector reads stderr: the reason must be a JSON line too
            logging.getLogger("charterdesk").critical("cannot start: %s", exc)
        else:
            typer.echo(f"charterdesk: cannot start: {exc}", err=True)
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        pass


@app.command()
def run(log_json: LogJson = False) -> None:
    """Bot and scheduler in one process (polling)."""
    from charterdesk.launch import serve_from_env

    _run(serve_from_env(bot=True, scheduler=True), log_json=log_json)


@app.command()
def bot(log_json: LogJson = False) -> None:
    """The bot alone (scale-out: run the scheduler elsewhere)."""
    from charterdesk.launch import serve_from_env

    _run(serve_from_env(bot=True, scheduler=False), log_json=log_json)


@app.command()
def scheduler(log_json: LogJson = False) -> None:
    """The scheduler alone."""
    from charterdesk.launch import serve_from_env

    _run(serve_from_env(bot=False, scheduler=True), log_json=log_json)


@app.command()
def demo(
    host: str = typer.Option("127.0.0.1", help="Address for the sandbox and its chat page."),
    port: int = typer.Option(8080, help="Port for the sandbox and its chat page (0 = any free port)."),
    log_json: LogJson = False,
) -> None:
    """Sandbox Bot API + web chat page + bot + scheduler: no token, no server needed."""
    from charterdesk.launch import demo_from_env

    _run(demo_from_env(host=host, port=port), log_json=log_json)


@app.command()
def migrate(log_json: LogJson = False) -> None:
    """Apply database migrations to DATABASE_URL."""
    from charterdesk.launch import migrate_from_env

    _run(migrate_from_env(), log_json=log_json)


def main() -> None:
    """Console-script entry point."""
    app(prog_name="charterdesk")


if __name__ == "__main__":
    sys.exit(main())
