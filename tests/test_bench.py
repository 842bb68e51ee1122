"""A tiny run of bench/run.py keeps the benchmark working (no assertion on time)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.run import main


def test_tiny_bench_run(tmp_path: Path, capsys: Any) -> None:
    output = tmp_path / "performance.md"
    url = f"sqlite:///{tmp_path / 'bench.sqlite'}"
    figures = tmp_path / "run.json"
    args = ["--tickets", "300", "--database-url", url, "--runs", "2", "--warmup", "1",
            "--no-wrk", "--output", str(output), "--json", str(figures)]  # fmt: skip
    assert main(args) == 0
    text = output.read_text()
    assert "SQLite, 300 tickets" in text
    names = (
        "province dashboard (35), computed",
        "province dashboard as of a day 90 days ago, computed",
        "province monthly report (last month), computed",
        "district inbox, deep page",
        "transition + audit row",
    )
    for name in names:
        assert f"| {name}" in text
    # The document's table is made from such runs (bench/table.py).
    from bench.table import main as table_main

    assert table_main([str(figures), str(figures)]) == 0
    printed = capsys.readouterr().out
    assert "| p95 ms (range of runs) / p50 | SQLite 300 |" in printed
    for name in names:
        assert f"| {name} | " in printed


def test_load_ratios_are_medians_of_interleaved_rounds() -> None:
    from bench.run import Load

    load = Load([
        {"inbox": 50, "/healthz": 1000, "signed-in /help": 100},
        {"inbox": 10, "/healthz": 500, "signed-in /help": 40},  # a burst of other work
        {"inbox": 60, "/healthz": 1200, "signed-in /help": 150},
    ])  # fmt: skip
    assert load.rps("inbox") == 50
    assert load.ratios("signed-in /help") == [0.5, 0.25, 0.4]
    assert "signed-in /help 100 rps, ratio 0.40 (0.25-0.50)" in load.summary()
    assert "/healthz 1000 rps, ratio 0.05 (0.02-0.05)" in load.summary()


def test_tiny_meeting_bench_run(tmp_path: Path, capsys: Any) -> None:
    from bench.meeting import main as meeting_main

    url = f"sqlite:///{tmp_path / 'meeting.sqlite'}"
    assert meeting_main(["--tickets", "300", "--database-url", url, "--runs", "1"]) == 0
    out = capsys.readouterr().out
    assert "build, last complete month" in out and "recurrence links" in out
