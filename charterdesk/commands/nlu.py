"""`charterdesk nlu ...`: classify messages from stdin as JSON lines; evaluate on a labelled TSV file."""

import asyncio
import json
import sys
from pathlib import Path
from typing import Annotated, BinaryIO

import typer
from rich.console import Console
from rich.table import Table

from charterdesk.commands import nlu_corrections
from charterdesk.commands.nlu_rasa import app as rasa_app
from nlu.classifier import DATA_DIR as DEFAULT_DATA_DIR
from nlu.classifier import Classifier
from nlu.evaluate import EvaluationFileError, Report, evaluate, read_tsv

app = typer.Typer(help="Classify citizens' messages and evaluate the classifier.", no_args_is_help=True)
app.add_typer(rasa_app, name="rasa")
# Learning from staff: what they corrected, and a fit that includes it.
app.command("corrections")(nlu_corrections.corrections)
app.command("retrain")(nlu_corrections.retrain)

EXIT_BAD_FILE = 2

DataDir = Annotated[Path, typer.Option("--data-dir", help="folder holding the training data nlu.yml")]
RasaUrl = Annotated[
    str | None,
    typer.Option(
        "--rasa",
        envvar="RASA_URL",
        metavar="URL",
        help="classify with this Rasa server (embedded classifier as fallback); default: $RASA_URL",
    ),
]


@app.command()
def classify(data_dir: DataDir = DEFAULT_DATA_DIR, rasa: RasaUrl = None) -> None:
    """Read one message per line on stdin; write one JSON object per line to stdout.

    {"text": ..., "intent": ..., "confidence": 0..1, "language": ...}, the language an ISO 639-1 code
    ("ko", "en", "hu", "ja", ...) or "und"; blank lines are skipped. Each answer is flushed at once, so
    this can sit behind a pipe."""
    stdin = typer.get_binary_stream("stdin")
    stdout = typer.get_binary_stream("stdout")

    async def run() -> None:
        classifier = _build(data_dir, rasa)
        try:
            await _classify_lines(classifier, stdin, stdout)
        finally:
            await _close(classifier)

    asyncio.run(run())


async def _classify_lines(classifier: Classifier, source: BinaryIO, sink: BinaryIO) -> None:
    # Bytes in, bytes out: a stray invalid byte or a non-UTF-8 locale must not stop the stream.
    for raw in iter(source.readline, b""):
        text = raw.decode("utf-8", errors="replace").rstrip("\r\n")
        if not text.strip():
            continue
        result = await classifier.classify(text)
        answer = {
            "text": text,
            "intent": result.intent,
            "confidence": round(result.confidence, 4),
            "language": result.language,
        }
        sink.write(json.dumps(answer, ensure_ascii=False).encode("utf-8") + b"\n")
        sink.flush()


@app.command("eval")
def evaluate_file(
    file: Annotated[Path, typer.Argument(help="TSV: lang<TAB>gold<TAB>text per line, header optional")],
    data_dir: DataDir = DEFAULT_DATA_DIR,
    misses: Annotated[int, typer.Option(help="list up to this many misclassified messages")] = 0,
    rasa: RasaUrl = None,
) -> None:
    """Per-intent precision/recall/F1, macro-F1, accuracy per language and latency on FILE."""
    try:
        messages = read_tsv(file)
    except EvaluationFileError as exc:
        typer.echo(f"charterdesk nlu eval: {exc}", err=True)
        raise typer.Exit(EXIT_BAD_FILE) from None
    report, fallbacks = asyncio.run(_evaluate(_build(data_dir, rasa), messages))
    console = Console(width=None if sys.stdout.isatty() else 120)
    console.print(f"classifier: {_name(rasa, fallbacks)}", markup=False)
    console.print(_intent_table(report))
    console.print(_language_table(report))
    console.print(
        f"{report.count} messages  macro-F1 [bold]{report.macro_f1:.3f}[/bold]  "
        f"accuracy {report.accuracy:.3f}  language detected {_share(report.language_detection)}  "
        f"latency p50 {report.latency_p50_ms:.2f} ms  p95 {report.latency_p95_ms:.2f} ms"
    )
    for miss in report.misses[:misses]:
        message, predicted = miss.message, miss.predicted
        console.print(
            f"line {message.line} [{message.language}] {message.intent} -> {predicted.intent} "
            f"({predicted.confidence:.2f}): {message.text}",
            markup=False,
        )


def _build(data_dir: Path, rasa_url: str | None) -> Classifier:
    # Imported here: scikit-learn takes a second to import, which `charterdesk charter ...` need not pay.
    from nlu.embedded import EmbeddedClassifier

    embedded = EmbeddedClassifier.load(data_dir)
    if not rasa_url:
        return embedded
    from nlu.rasa import RasaClassifier

    return RasaClassifier(rasa_url, fallback=embedded)


async def _evaluate(classifier: Classifier, messages) -> tuple[Report, int | None]:
    try:
        report = await evaluate(classifier, messages)
    finally:
        await _close(classifier)
    return report, getattr(classifier, "fallbacks", None)


async def _close(classifier: Classifier) -> None:
    close = getattr(classifier, "close", None)
    if close is not None:
        await close()


def _name(rasa_url: str | None, fallbacks: int | None) -> str:
    if not rasa_url:
        return "embedded (scikit-learn)"
    return f"Rasa at {rasa_url} ({fallbacks} messages answered by the embedded fallback)"


def _intent_table(report: Report) -> Table:
    table = Table(title="Intents")
    for column in ("intent", "precision", "recall", "F1", "support"):
        table.add_column(column, justify="left" if column == "intent" else "right")
    for score in report.per_intent:
        table.add_row(
            score.intent,
            f"{score.precision:.3f}",
            f"{score.recall:.3f}",
            f"{score.f1:.3f}",
            str(score.support),
        )
    table.add_section()
    table.add_row("macro", "", "", f"{report.macro_f1:.3f}", str(report.count), style="bold")
    return table


def _language_table(report: Report) -> Table:
    table = Table(title="Languages")
    for column in ("language", "messages", "accuracy", "macro-F1", "detected"):
        table.add_column(column, justify="left" if column == "language" else "right")
    for score in report.per_language:
        table.add_row(
            score.language,
            str(score.count),
            f"{score.accuracy:.3f}",
            f"{score.macro_f1:.3f}",
            _share(score.detected),
        )
    return table


def _share(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


if __name__ == "__main__":
    app()
