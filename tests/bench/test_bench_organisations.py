"""bench/organisations.py on a tiny load: its command line refuses bad input, and a run at 2 and 4 organisations
fills, measures and prints the plans (no timing thresholds). The run needs PostgreSQL (TEST_DATABASE_URL)."""

import subprocess
import sys

import pytest

from bench import organisations
from tests.conftest import ROOT, SERVER_URL


@pytest.mark.parametrize("arguments, complaint", [
    (["--organisations", "10,x"], "comma-separated whole numbers"),
    (["--organisations", "10", "--tickets", "500"], "100 tickets per organisation"),
])
def test_bad_arguments_are_refused(arguments, complaint):
    done = subprocess.run([sys.executable, "-m", "bench.organisations", "--postgres", "postgresql://x/y", *arguments],
                          cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 2 and complaint in done.stderr


@pytest.mark.skipif(not SERVER_URL, reason="the simulation runs on PostgreSQL: set TEST_DATABASE_URL")
async def test_a_tiny_run_measures_every_pass_and_shows_index_use(capsys):
    await organisations.main(["--postgres", SERVER_URL, "--organisations", "2,4", "--tickets", "2000", "--rounds", "1",
                              "--no-docs"])
    out = capsys.readouterr().out
    assert "| 2 | 1,000 |" in out and "| 4 | 500 |" in out
    # The plans of the three passes are printed (which index a tiny table is read by is the planner's choice).
    for label in ("breach claim of one organisation", "agency report of 2026-10", "outbox claim"):
        assert label in out
    assert "Execution Time" in out
