"""``monitor spikes`` and ``monitor spikes backtest`` run as real processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

from tests.conftest import write_config
from tests.servers import Site

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "spikes" / "nab_crm_2015-03-09_12days.csv"
LABELLED = (datetime.fromisoformat("2015-03-19T01:02:53+00:00"), datetime.fromisoformat("2015-03-20T21:12:53+00:00"))


def monitor(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if key != "MONITOR_CONFIG"}
    return subprocess.run(
        [sys.executable, "-m", "monitor", *args], capture_output=True, text=True, timeout=120, cwd=cwd, env=env
    )


def test_backtest_replays_a_csv_without_a_config(tmp_path: Path) -> None:
    """With no config file, --counts --json lists episodes with ISO times; the first alert is in NAB's window."""
    result = monitor("spikes", "backtest", "--counts", str(FIXTURE), "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    episodes = json.loads(result.stdout)
    assert episodes
    for episode in episodes:
        assert {"alerted_at", "start", "end", "peak", "expected"} <= set(episode)
        alerted, start = datetime.fromisoformat(episode["alerted_at"]), datetime.fromisoformat(episode["start"])
        assert alerted.utcoffset() is not None and start <= alerted
        assert episode["peak"] > episode["expected"]
    assert LABELLED[0] <= datetime.fromisoformat(episodes[0]["alerted_at"]) <= LABELLED[1]
    text = monitor("spikes", "backtest", "--counts", str(FIXTURE), cwd=tmp_path)
    assert text.returncode == 0 and episodes[0]["alerted_at"] in text.stdout


def test_backtest_reports_a_bad_csv_by_file_and_line(tmp_path: Path) -> None:
    """A malformed row exits 2 with the file and line named and no traceback."""
    lines = FIXTURE.read_text().splitlines()[:20]
    lines[12] = lines[12].split(",")[0] + ",many"
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join(lines) + "\n")
    result = monitor("spikes", "backtest", "--counts", str(bad), cwd=tmp_path)
    assert result.returncode == 2
    assert f"{bad}: line 13: bad value 'many'" in result.stderr
    assert "Traceback" not in result.stderr
    missing = monitor("spikes", "backtest", "--counts", str(tmp_path / "nope.csv"), cwd=tmp_path)
    assert missing.returncode == 2 and "nope.csv" in missing.stderr and "Traceback" not in missing.stderr
    both = monitor("spikes", "backtest", cwd=tmp_path)
    assert both.returncode == 2 and "exactly one of" in both.stderr


def test_backtest_and_overview_over_stored_history(tmp_path: Path, db_url: str, demo_site: Site) -> None:
    """After polling the demo site, --since replays stored counts and finds the Takhar burst; the overview charts it."""
    config = write_config(
        tmp_path / "monitor.toml",
        db_url,
        feeds=[("frontier-wire", demo_site.base + "/wire/rss.xml"), ("steppe-blog", demo_site.base + "/blog/atom.xml")],
        watchlists={"takhar": ["Takhar", "Тахар", "تخار"], "quiet": ["Zerafshan"]},
    )
    polled = monitor("--config", str(config), "poll", cwd=tmp_path)
    assert polled.returncode == 0, polled.stderr
    result = monitor("--config", str(config), "spikes", "backtest", "--since", "30d", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    episodes = json.loads(result.stdout)
    assert [e["watchlist"] for e in episodes] == ["takhar"]
    assert episodes[0]["end"] is None and episodes[0]["peak"] >= 3 * episodes[0]["expected"]
    overview = monitor("--config", str(config), "spikes", cwd=tmp_path)
    assert overview.returncode == 0, overview.stderr
    assert "takhar:" in overview.stdout and "SPIKE since" in overview.stdout
    assert "quiet:" in overview.stdout and "ordinary" in overview.stdout
    assert "┤" in overview.stdout  # the chart's axis
    wrong = monitor("--config", str(config), "spikes", "backtest", "--since", "30x", cwd=tmp_path)
    assert wrong.returncode == 2 and "--since" in wrong.stderr
