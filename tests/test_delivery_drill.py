"""The delivery drill, small: real daemons killed at random, receivers stopped at random, nothing lost."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_drill_loses_nothing_and_repeats_only_after_kills() -> None:
    """Every alert reaches its receiver, repeats are all explained by kills, and the outbox drains."""
    done = subprocess.run(
        [sys.executable, str(REPO / "bench" / "alert_drill.py"), "--alerts", "60", "--chaos", "8", "--json"],
        capture_output=True,
        text=True,
        timeout=280,
        cwd=REPO,
    )
    assert done.returncode in (0, 1), done.stderr[-2000:]
    report = json.loads(done.stdout)
    for run in report["runs"]:
        assert run["messages_arrived_distinct"] == run["messages_expected"] == 120, run
        assert run["repeats_unexplained"] == 0, run
        assert run["outbox"] == {"sent": 120}, run
        assert run["sigkills"] >= 1, run
        assert not run["daemons_crashed_otherwise"], run
    assert report["ok"]
