"""The benchmarks' command line and the intake harness, on a tiny load (no timing thresholds)."""

import math
import subprocess
import sys

from bench import intake
from bench.load import FLAT_OUT, Message, Scenario, Timings, percentile, summarise, workload
from tests.conftest import ROOT


def test_python_m_bench_help_lists_the_options():
    done = subprocess.run([sys.executable, "-m", "bench", "--help"], cwd=ROOT, capture_output=True, text=True,
                          check=False)
    assert done.returncode == 0, done.stderr
    for option in ("--quick", "--only", "--postgres", "--no-postgres", "--rasa-url"):
        assert option in done.stdout


def test_python_m_bench_refuses_an_unknown_benchmark():
    done = subprocess.run([sys.executable, "-m", "bench", "--only", "nlu,speed"], cwd=ROOT, capture_output=True,
                          text=True, check=False)
    assert done.returncode == 2
    assert "speed" in done.stderr


def test_the_workload_mixes_languages_intents_and_chats():
    messages = workload(40, chats=7)
    assert len(messages) == 40
    assert {m.language for m in messages} >= {"ko", "en", "hu"}
    assert len({m.text for m in messages}) > 20
    assert {m.chat_id for m in messages} == {1000 + i for i in range(7)}


def test_an_acknowledgement_is_the_first_answer_after_its_message():
    timings = Timings()
    first, second = Message(1, "a", "en"), Message(1, "b", "en")
    timings.on_answer(1, 0.5)  # an answer to nothing we sent (the warm-up): ignored
    timings.on_sent(first, 1.0)
    timings.on_answer(1, 1.5)
    timings.on_answer(1, 1.6)  # the first message's second text: not the second message's acknowledgement
    timings.on_sent(second, 2.0)
    timings.on_answer(2, 2.1)  # another chat
    timings.on_answer(1, 2.25)
    assert timings.pairs == [(1.0, 1.5), (2.0, 2.25)]
    result = summarise(Scenario("bare", "-", FLAT_OUT, 2), timings, 1.0, cpu_seconds=0.2, rss_mb=1, peak_rss_mb=2)
    assert result.answered == 2
    assert math.isclose(result.throughput, 2 / 1.25)
    assert math.isclose(result.p50_ms, 375.0)


def test_percentiles_of_nothing_and_of_one():
    assert math.isnan(percentile([], 99))
    assert percentile([7.0], 99) == 7.0
    assert percentile([float(v) for v in range(1, 101)], 50) == 50.5


async def test_the_intake_harness_measures_twenty_messages_in_process_and_over_http(tmp_path):
    results = await intake.main(["--messages", "20", "--rates", "0", "--no-postgres", "--no-docs", "--chats", "7"])
    assert [(r.scenario.transport, r.scenario.bot) for r in results] == [
        ("http", "bare"), ("http", "charterdesk"), ("in-process", "bare"), ("in-process", "charterdesk"),
    ]
    for result in results:
        assert result.answered == 20
        assert result.throughput > 0
        assert 0 < result.p50_ms <= result.p95_ms <= result.p99_ms
        assert result.cpu_seconds > 0 and result.rss_mb > 0
    pipeline = results[-1]
    # Counted per message, in-process; a group commit shares one COMMIT among its messages, so fewer than one.
    assert pipeline.queries["total"] >= pipeline.queries["COMMIT"] > 0
    assert "| in-process | charterdesk | sqlite | flat out | 20 |" in intake.table(results)
