"""`charterdesk`: the command line (run, demo, bot, scheduler, migrate, charter, nlu)."""

import asyncio
import logging
import sys

import typer

from charterdesk.commands.charter import app as charter_app
from charterdesk.commands.nlu import app as nlu_app
from charterdesk.commands.report import app as report_app
from charterdesk.errors import StartupError

app = typer.Typer(help="Charterdesk: a citizen front door that keeps a service charter's promises.", no_args_is_help=True)
app.add_typer(charter_app, name="charter", help="Validate a charter and compute its deadlines.")
app.add_typer(nlu_app, name="nlu", help="Classify citizens' messages and evaluate the classifier.")
app.add_typer(report_app, name="report", help="Charter-compliance figures of a period: text, CSV, PNG or HTML.")


def _configure_logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # One line per HTTP request drowns everything else.
    for noisy in ("httpx", "apscheduler.executors.default", "aiohttp.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def _run(coroutine) -> None:
    """Run a process coroutine; a StartupError becomes one clear line on stderr and exit code 1."""
    _configure_logging()
    try:
        asyncio.run(coroutine)
    except StartupError as exc:
        typer.echo(f"charterdesk: cannot start: {exc}", err=True)
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        pass


@app.command()
def run() -> None:
    """Bot and scheduler in one process (polling)."""
    from charterdesk.launch import serve_from_env

    _run(serve_from_env(bot=True, scheduler=True))


@app.command()
def bot() -> None:
    """The bot alone (scale-out: run the scheduler elsewhere)."""
    from charterdesk.launch import serve_from_env

    _run(serve_from_env(bot=True, scheduler=False))


@app.command()
def scheduler() -> None:
    """The scheduler alone."""
    from charterdesk.launch import serve_from_env

    _run(serve_from_env(bot=False, scheduler=True))


@app.command()
def demo(
    host: str = typer.Option("127.0.0.1", help="Address for the sandbox and its chat page."),
    port: int = typer.Option(8080, help="Port for the sandbox and its chat page (0 = any free port)."),
) -> None:
    """Sandbox Bot API + web chat page + bot + scheduler: no token, no server needed."""
    from charterdesk.launch import demo_from_env

    _run(demo_from_env(host=host, port=port))


@app.command()
def migrate() -> None:
    """Apply database migrations to DATABASE_URL."""
    from charterdesk.launch import migrate_from_env

    _run(migrate_from_env())


def main() -> None:
    """Console-script entry point."""
    app(prog_name="charterdesk")


if __name__ == "__main__":
    sys.exit(main())
