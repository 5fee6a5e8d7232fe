"""The receiver example in docs/webhooks.md works against the real sender: accepts, drops repeats, rejects forgeries."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from monitor.alerts.message import AlertMessage
from monitor.alerts.webhook import WebhookSender, sign
from monitor.config import WebhookChannel

DOC = Path(__file__).resolve().parents[1] / "docs" / "webhooks.md"
SECRET = "whsec-docs"


def test_documented_receiver_checks_signatures_and_drops_repeats(tmp_path: Path) -> None:
    """Run the doc's receiver: a signed alert is printed once even when sent twice; a forged one gets 401."""
    code = re.search(r"## A receiver in Python.*?```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    assert code, "the receiver example is missing from docs/webhooks.md"
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    script = tmp_path / "receiver.py"
    script.write_text(code.group(1).replace("8080", str(port)), encoding="utf-8")
    proc = subprocess.Popen(
        [sys.executable, "-u", str(script)],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "MONITOR_WEBHOOK_SECRET": SECRET},
    )
    try:
        url = f"http://127.0.0.1:{port}/hook"
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        sender = WebhookSender(WebhookChannel(kind="webhook", url=url), SECRET, "test")
        message = AlertMessage(
            "spike.opened:x:1:hook", "spike.opened", "x", {"type": "spike.opened", "summary": "x: 9"}
        )
        assert sender.send(message) == "HTTP 204"
        assert sender.send(message) == "HTTP 204"  # a repeat: accepted, not handled again
        stamp = int(time.time())
        forged = httpx.post(
            url,
            content=b'{"type": "spike.opened", "summary": "forged"}',
            headers={
                "webhook-id": "f1",
                "webhook-timestamp": str(stamp),
                "webhook-signature": sign("wrong", "f1", stamp, b"{}"),
            },
        )
        old = stamp - 3600
        body = b'{"type": "spike.opened", "summary": "replayed"}'
        replay = httpx.post(
            url,
            content=body,
            headers={
                "webhook-id": "r1",
                "webhook-timestamp": str(old),
                "webhook-signature": sign(SECRET, "r1", old, body),
            },
        )
        assert forged.status_code == 401 and replay.status_code == 401
    finally:
        proc.terminate()
        out, _err = proc.communicate(timeout=10)
    assert out.splitlines() == ["spike.opened x: 9"]
