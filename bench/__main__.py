"""`python -m bench`: every benchmark (NLU, scheduler sweeps, intake), then docs/benchmarks.md rewritten.

    python -m bench [--quick] [--only nlu,sweeps,intake] [--postgres URL | --no-postgres]
Each benchmark writes its own section of docs/benchmarks.md (bench/report.py); this adds a summary
section naming the command and the machine. The NLU benchmark compares the embedded classifier with Rasa
at RASA_URL; with RASA_URL unset, Rasa is skipped with a note.
"""

import argparse
import asyncio
import os
import sys
import time
from pathlib import Path

from bench import report
from bench.report import machine, write_section

DEFAULT_POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
# Intake first: it is what the product exists for, and the longest to wait for at the end.
BENCHMARKS = ("intake", "profile", "nlu", "sweeps", "nlu_threshold")


def parse(argv: list[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a short run: fewer messages, smaller ticket counts")
    parser.add_argument("--only", default=",".join(BENCHMARKS), help="comma-separated subset of " + ", ".join(BENCHMARKS))
    parser.add_argument("--postgres", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_POSTGRES),
                        help="PostgreSQL server URL (asyncpg); scratch databases are made on it")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument("--rasa-url", default=os.environ.get("RASA_URL"), help="a running Rasa server for bench.nlu")
    parser.add_argument("--docs", type=Path, default=report.BENCHMARKS, help="the Markdown file to rewrite")
    args = parser.parse_args(argv)
    report.BENCHMARKS = args.docs  # every benchmark's write_section writes here
    unknown = set(args.only.split(",")) - set(BENCHMARKS)
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")
    return args


def main(argv: list[str] | None = None) -> int:
    """Run the chosen benchmarks in turn; each one's failure is reported and the others still run."""
    args = parse(argv)
    chosen = args.only.split(",")
    postgres = None if args.no_postgres else args.postgres
    done, failed = [], []
    for name in BENCHMARKS:
        if name not in chosen:
            continue
        print(f"\n=== bench.{name} ===", file=sys.stderr, flush=True)
        started = time.monotonic()
        try:
            note = run(name, args, postgres)
        except Exception as exc:  # noqa: BLE001 - one broken benchmark must not lose the others' figures
            failed.append(f"{name}: {exc}")
            print(f"bench.{name} failed: {exc}", file=sys.stderr)
            continue
        done.append(f"{name} ({time.monotonic() - started:.0f} s){note}")
    command = "python -m bench" + (" " + " ".join(argv if argv is not None else sys.argv[1:])).rstrip()
    summary = "\n".join([
        "## How these figures were made",
        "",
        (
            f"Machine: {machine()}, {memory_gb():.1f} GB RAM; 1-minute load average at the end "
            f"{os.getloadavg()[0]:.2f} (the machine is shared: compare rows within a section, not across runs)."
        ),
        "",
        "Benchmarks run: " + ("; ".join(done) or "none") + ".",
        *([""] + ["Failed: " + "; ".join(failed)] if failed else []),
    ])
    write_section("summary", summary, command=command)
    return 1 if failed else 0


def run(name: str, args: argparse.Namespace, postgres: str | None) -> str:
    """One benchmark; returns a note for the summary."""
    if name == "nlu":
        from bench import nlu

        if args.rasa_url:
            return "" if nlu.main(["--rasa-url", args.rasa_url]) == 0 else " (errors)"
        return _nlu_without_rasa()
    if name == "profile":
        from bench import profile

        profile.main(["--messages", "150" if args.quick else "300"])
        return ""
    if name == "nlu_threshold":
        from bench import nlu_threshold

        nlu_threshold.main([])  # ~20 s: --quick keeps both shuffles, so the table matches LOW_CONFIDENCE
        return ""
    if name == "sweeps":
        from bench import sweeps

        sizes = "1000,10000" if args.quick else "1000,100000,1000000"
        asyncio.run(sweeps.main(["--sizes", sizes] + (["--postgres", postgres] if postgres else [])))
        return ""
    from bench import intake

    asyncio.run(intake.main((["--quick"] if args.quick else []) + (["--postgres", postgres] if postgres else ["--no-postgres"])))
    return ""


def _nlu_without_rasa() -> str:
    """The embedded classifier alone on the held-out set; Rasa skipped with a note."""
    from bench import nlu

    messages = nlu.held_out()
    body = nlu.render([nlu.run_embedded(messages)], messages, load=os.getloadavg()[0])
    write_section("nlu", body + "\n\n" + NO_RASA, command="python -m bench (RASA_URL unset)")
    return " (Rasa skipped: RASA_URL unset)"


NO_RASA = (
    "Rasa was skipped: RASA_URL was not set. `charterdesk nlu rasa serve` starts one (its venv and model are "
    "cached after the first `charterdesk nlu rasa setup`, ~2 min, 2.7 GB); then "
    "`RASA_URL=http://127.0.0.1:5005 python -m bench --only nlu` adds its column."
)


def memory_gb() -> float:
    """Total RAM of the machine."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3
    except (ValueError, OSError):
        return float("nan")


if __name__ == "__main__":
    raise SystemExit(main())
