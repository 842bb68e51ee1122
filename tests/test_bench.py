"""A tiny run of bench/run.py keeps the benchmark working (no assertion on time)."""

from __future__ import annotations

from pathlib import Path

from bench.run import main


def test_tiny_bench_run(tmp_path: Path) -> None:
    output = tmp_path / "performance.md"
    url = f"sqlite:///{tmp_path / 'bench.sqlite'}"
    args = ["--tickets", "300", "--database-url", url, "--runs", "2", "--warmup", "1",
            "--no-wrk", "--output", str(output)]  # fmt: skip
    assert main(args) == 0
    text = output.read_text()
    assert "SQLite, 300 tickets" in text
    for name in (
        "province dashboard (35), computed",
        "district inbox, deep page",
        "transition + audit row",
    ):
        assert f"| {name}" in text
