"""Where the in-process intake spends its time: a pyinstrument profile summed by library and by our module.

    python -m bench.profile [--messages 300] [--database URL]
runs bench.inprocess under pyinstrument (flat out, SQLite unless --database), writes the HTML
profile next to the summary, and prints the top costs: self time summed per third-party package
(sqlalchemy, telegram, dateparser, ...) and per Charterdesk module (conversation/citizen/messages.py, ...).
"""

import argparse
import json
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

from pyinstrument.session import Session

from bench.load import ROOT
from bench.report import write_section

# Where the event loop waits: for the database thread, the next update, a timer.
IDLE = {"select", "epoll.poll", "poll", "sleep", "wait"}


def owner(file_path: str | None, function: str) -> str:
    """The package (third-party), module (ours) or stdlib module a frame belongs to."""
    if not file_path:
        return function
    path = file_path.replace("\\\\", "/")
    if "site-packages/" in path:
        return path.split("site-packages/", 1)[1].split("/", 1)[0].removesuffix(".py")
    root = str(ROOT) + "/"
    if path.startswith(root):
        return path[len(root):]
    if path.startswith("<"):
        return path
    return "stdlib:" + Path(path).stem


def costs(session: Session) -> tuple[Counter, float, float]:
    """(self seconds per owner, busy seconds, idle seconds) of a profile.

    Time in the standard library and in built-ins counts for the nearest caller that is a third-party
    package or ours: enum and re work done for SQLAlchemy is SQLAlchemy's cost."""
    by_owner: Counter = Counter()
    idle = 0.0
    stack = [(session.root_frame(), "python")]
    while stack:
        frame, inherited = stack.pop()
        mine = owner(frame.file_path, frame.function)
        charged = inherited if mine.startswith(("stdlib:", "<")) else mine
        stack.extend((child, charged) for child in frame.children)
        if frame.is_synthetic or frame.total_self_time <= 0:
            continue
        if frame.function in IDLE:
            idle += frame.total_self_time
            continue
        by_owner[charged] += frame.total_self_time
    return by_owner, sum(by_owner.values()), idle


def render(by_owner: Counter, busy: float, idle: float, messages: int, top: int = 15) -> str:
    """Markdown table of the top costs, in ms per message and share of busy time."""
    lines = [
        (
            f"Busy {1000 * busy / messages:.1f} ms per message (profiler overhead included), idle (event loop "
            f"waiting on the database thread or the next update) {1000 * idle / messages:.1f} ms."
        ),
        "",
        "| where (self time) | ms per message | share of busy time |",
        "|---|---|---|",
    ]
    for name, seconds in by_owner.most_common(top):
        lines.append(f"| {name} | {1000 * seconds / messages:.2f} | {seconds / busy:.0%} |")
    return "\n".join(lines)


def run(messages: int, database: str | None, workdir: Path) -> tuple[dict, Session]:
    """Profile one flat-out in-process run; returns its Result (as a dict) and the profile."""
    url = database or f"sqlite+aiosqlite:///{workdir / 'profile.db'}"
    html = workdir / "profile.html"
    done = subprocess.run(
        [sys.executable, "-m", "bench.inprocess", "--database", url, "--messages", str(messages), "--profile", str(html)],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )
    if done.returncode:
        log = "\n".join(line for line in done.stderr.splitlines() if not line.isdigit())
        raise RuntimeError(f"bench.inprocess failed:\n{log[-3000:]}")
    return json.loads(done.stdout.splitlines()[-1]), Session.load(str(html.with_suffix(".pyisession")))


def main(argv: list[str] | None = None) -> int:
    """Profile and print the top costs."""
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=300)
    parser.add_argument("--database", help="DATABASE_URL (default: a fresh SQLite file)")
    parser.add_argument("--keep", help="copy the HTML profile here")
    parser.add_argument("--no-docs", action="store_true", help="print only; leave docs/benchmarks.md alone")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as workdir:
        result, session = run(args.messages, args.database, Path(workdir))
        if args.keep:
            Path(args.keep).write_bytes((Path(workdir) / "profile.html").read_bytes())
    by_owner, busy, idle = costs(session)
    queries = ", ".join(f"{kind} {count:.2f}" for kind, count in result["queries"].items())
    body = "\n\n".join([
        "## Intake profile: where the pipeline's time goes",
        (
            f"pyinstrument over {args.messages} messages flat out, in-process (bench/inprocess.py), "
            f"{'the given database' if args.database else 'SQLite'}; self time charged to the package or module "
            "that called into the standard library. Under the profiler (which adds its own overhead): "
            f"CPU {1000 * result['cpu_seconds'] / args.messages:.1f} ms per message; "
            f"SQL statements per message: {queries}."
        ),
        render(by_owner, busy, idle, args.messages),
    ])
    print(body)
    if not args.no_docs:
        command = "python -m bench.profile" + (f" --messages {args.messages}" if args.messages != 300 else "")
        print(f"\nwritten to {write_section('profile', body, command=command)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
