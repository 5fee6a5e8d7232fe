"""Delivery drill: alerts through a webhook and an SMTP server that stop and start at random, while
real `monitor run` daemons are killed with SIGKILL and restarted at random.

Checks that every alert arrives (distinct idempotency keys at the receivers), that every repeat is
one a kill explains (the killed daemon logged "sending KEY" and no outcome for it) or, reported apart,
a receiver stopped after taking a message but before acknowledging it (the daemon logged a failure
after connecting), and that nothing is left pending once the receivers are back. Runs on a SQLite
file with one daemon and, when MONITOR_TEST_POSTGRES_URL is set, on PostgreSQL with two daemons at once.

    .venv/bin/python bench/alert_drill.py [--alerts 1000] [--chaos 60] [--seed 1] [--json]

Needs no corpus. Exits 1 when an alert is lost, an unexplained repeat is seen, or rows stay pending.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from email import message_from_bytes
from email import policy as email_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.orm import Session, sessionmaker

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from monitor.alerts.outbox import enqueue  # noqa: E402
from monitor.db.engine import make_engine, make_sessionmaker  # noqa: E402
from monitor.db.migrate import upgrade  # noqa: E402
from monitor.db.models import Alert  # noqa: E402

SECRET = "drill-secret"
CHANNELS = ("hook", "mail")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# -- receivers -----------------------------------------------------------------------------------
@dataclass
class Tally:
    """Idempotency keys as they arrive, per channel."""

    counts: dict[str, Counter[str]] = field(default_factory=lambda: {c: Counter() for c in CHANNELS})
    rejected: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, channel: str, key: str) -> None:
        with self.lock:
            self.counts[channel][key] += 1


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass


class WebhookReceiver:
    """A webhook endpoint that checks signatures and counts keys; stop() and start() keep the port."""

    def __init__(self, tally: Tally, port: int) -> None:
        self.tally = tally
        self.port = port
        self.server: _Server | None = None

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        tally = self.tally

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                msg_id, stamp = self.headers.get("webhook-id", ""), self.headers.get("webhook-timestamp", "0")
                mac = hmac.new(SECRET.encode(), f"{msg_id}.{stamp}.".encode() + body, hashlib.sha256).digest()
                good = "v1," + base64.b64encode(mac).decode()
                ok = any(hmac.compare_digest(good, s) for s in self.headers.get("webhook-signature", "").split())
                if ok and abs(time.time() - int(stamp)) <= 300:
                    tally.add("hook", msg_id)
                    code = 200
                else:
                    with tally.lock:
                        tally.rejected += 1
                    code = 401
                self.send_response(code)
                self.send_header("Content-Length", "0")
                self.end_headers()

        return Handler

    @property
    def up(self) -> bool:
        return self.server is not None

    def start(self) -> None:
        for _ in range(50):
            try:
                self.server = _Server(("127.0.0.1", self.port), self._handler())
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise RuntimeError(f"cannot bind webhook port {self.port}")
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self.server:
            self.server.shutdown()
            self.server.server_close()
            self.server = None


class _Inbox:
    def __init__(self, tally: Tally) -> None:
        self.tally = tally

    async def handle_DATA(self, server: object, session: object, envelope: Any) -> str:
        mail = message_from_bytes(envelope.content, policy=email_policy.default)
        self.tally.add("mail", str(mail["X-Monitor-Idempotency-Key"]))
        return "250 Message accepted for delivery"


class SmtpServer:
    def __init__(self, tally: Tally, port: int) -> None:
        self.inbox = _Inbox(tally)
        self.port = port
        self.controller: Controller | None = None

    @property
    def up(self) -> bool:
        return self.controller is not None

    def start(self) -> None:
        for _ in range(50):
            try:
                controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
                controller.start()
                self.controller = controller
                return
            except (OSError, RuntimeError):
                time.sleep(0.1)
        raise RuntimeError(f"cannot bind SMTP port {self.port}")

    def stop(self) -> None:
        if self.controller:
            self.controller.stop()
            self.controller = None


# -- daemons -------------------------------------------------------------------------------------
SENDING = re.compile(r"\bsending (\S+)")
NOT_SENT = re.compile(r"\bnot sent (\S+?): (.*)")
# Failures before any byte reached the receiver; any other failure may follow an accepted message whose
# acknowledgement was lost when the receiver stopped mid-reply.
NOTHING_DELIVERED = ("ConnectError", "ConnectionRefusedError", "Connection refused", "Errno 111")
OUTCOME = re.compile(r"\b(?:sent|not sent) (\S+?):?(?:\s|$)")


@dataclass
class Incarnation:
    log: Path
    proc: subprocess.Popen[bytes]
    killed: bool = False


class Daemons:
    """``count`` slots, each running one `monitor run` at a time; every start logs to its own file."""

    def __init__(self, config: Path, workdir: Path, count: int) -> None:
        self.config = config
        self.workdir = workdir
        self.slots: list[Incarnation | None] = [None] * count
        self.history: list[Incarnation] = []
        self.kills = 0

    def start(self, slot: int) -> None:
        log = self.workdir / f"daemon-{len(self.history):04d}.log"
        with open(log, "wb") as out:
            proc = subprocess.Popen(
                [sys.executable, "-m", "monitor", "--config", str(self.config), "run"],
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=self.workdir,
                env={**os.environ, "DRILL_WEBHOOK_SECRET": SECRET},
            )
        incarnation = Incarnation(log, proc)
        self.slots[slot] = incarnation
        self.history.append(incarnation)

    def kill(self, slot: int) -> None:
        incarnation = self.slots[slot]
        if incarnation and incarnation.proc.poll() is None:
            incarnation.proc.send_signal(signal.SIGKILL)
            incarnation.proc.wait()
            incarnation.killed = True
            self.kills += 1
        self.slots[slot] = None

    def stop_all(self) -> None:
        for incarnation in self.slots:
            if incarnation and incarnation.proc.poll() is None:
                incarnation.proc.send_signal(signal.SIGTERM)
        for incarnation in self.slots:
            if incarnation:
                try:
                    incarnation.proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    incarnation.proc.kill()
                    incarnation.proc.wait()

    def in_flight_at_kills(self) -> Counter[str]:
        """Keys a killed daemon had started to send without recording an outcome, counted per kill."""
        keys: Counter[str] = Counter()
        for incarnation in self.history:
            if not incarnation.killed:
                continue
            started: set[str] = set()
            for line in incarnation.log.read_text(encoding="utf-8", errors="replace").splitlines():
                if match := SENDING.search(line):
                    started.add(match.group(1))
                elif match := OUTCOME.search(line):
                    started.discard(match.group(1))
            keys.update(started)
        return keys

    def lost_acknowledgements(self) -> Counter[str]:
        """Keys whose send failed after the connection was made (the receiver may have kept the message)."""
        keys: Counter[str] = Counter()
        for incarnation in self.history:
            for line in incarnation.log.read_text(encoding="utf-8", errors="replace").splitlines():
                match = NOT_SENT.search(line)
                if match and not any(marker in match.group(2) for marker in NOTHING_DELIVERED):
                    keys[match.group(1)] += 1
        return keys

    def crashed_otherwise(self) -> list[str]:
        """Logs of daemons that exited on their own with an error (not killed, not stopped)."""
        return [i.log.name for i in self.history if not i.killed and i.proc.poll() not in (None, 0, -signal.SIGTERM)]


# -- the drill -----------------------------------------------------------------------------------
def write_config(path: Path, db_url: str, hook_port: int, smtp_port: int) -> None:
    path.write_text(
        f"""[database]
url = "{db_url}"
[daemon]
tick = "1s"
shutdown_grace = "5s"
http = ""
[alerts]
deliver_every = "1s"
retry_first = "0.5s"
retry_max = "3s"
lease = "10s"
max_age = "1h"
[[channels]]
kind = "webhook"
name = "hook"
url = "http://127.0.0.1:{hook_port}/hook"
secret_env = "DRILL_WEBHOOK_SECRET"
timeout = "2s"
[[channels]]
kind = "email"
name = "mail"
host = "127.0.0.1"
port = {smtp_port}
security = "none"
sender = "monitor@example.org"
recipients = ["desk@example.org"]
timeout = "2s"
""",
        encoding="utf-8",
    )


def status_counts(sessions: sessionmaker[Session]) -> dict[str, int]:
    with sessions() as session:
        return {s: n for s, n in session.execute(select(Alert.status, func.count()).group_by(Alert.status))}


def run_drill(db_url: str, daemons_at_once: int, alerts: int, chaos: float, seed: int, workdir: Path) -> dict[str, Any]:
    rng = random.Random(seed)
    engine = make_engine(db_url)
    upgrade(engine)
    sessions = make_sessionmaker(engine)
    tally = Tally()
    hook = WebhookReceiver(tally, free_port())
    smtp = SmtpServer(tally, free_port())
    config = workdir / "drill.toml"
    write_config(config, db_url, hook.port, smtp.port)
    daemons = Daemons(config, workdir, daemons_at_once)
    hook.start()
    smtp.start()
    for slot in range(daemons_at_once):
        daemons.start(slot)
    started = time.monotonic()
    enqueued = 0
    receiver_stops = 0
    keys = [f"drill.{uuid.uuid4().hex[:8]}.{i:05d}" for i in range(alerts)]
    per_second = alerts / max(1.0, chaos * 0.7)  # all alerts are written in the first 70 % of the chaos phase
    next_event = time.monotonic() + rng.uniform(0.5, 2.0)
    try:
        while time.monotonic() - started < chaos or enqueued < alerts:
            due = min(alerts, int((time.monotonic() - started) * per_second) + 1)
            if enqueued < due:
                with sessions.begin() as session:
                    for key in keys[enqueued:due]:
                        enqueue(
                            session,
                            kind="drill",
                            key=key,
                            subject=f"drill alert {key}",
                            payload={"version": "1", "type": "drill", "summary": f"drill alert {key}"},
                            channels=CHANNELS,
                        )
                enqueued = due
            if time.monotonic() >= next_event:
                event = rng.choice(["kill", "kill", "hook", "smtp"])
                if event == "kill":
                    slot = rng.randrange(daemons_at_once)
                    daemons.kill(slot)
                    time.sleep(rng.uniform(0.0, 1.0))
                    daemons.start(slot)
                elif event == "hook":
                    if hook.up:
                        hook.stop()
                        receiver_stops += 1
                    else:
                        hook.start()
                elif smtp.up:
                    smtp.stop()
                    receiver_stops += 1
                else:
                    smtp.start()
                next_event = time.monotonic() + rng.uniform(0.3, 2.5)
            time.sleep(0.05)
        # Recovery: receivers back, daemons running, wait for the outbox to drain.
        chaos_seconds = time.monotonic() - started
        if not hook.up:
            hook.start()
        if not smtp.up:
            smtp.start()
        for slot, incarnation in enumerate(daemons.slots):
            if incarnation is None or incarnation.proc.poll() is not None:
                daemons.start(slot)
        drain_started = time.monotonic()
        while time.monotonic() - drain_started < 120:
            counts = status_counts(sessions)
            if not counts.get("pending"):
                break
            time.sleep(0.5)
        drain_seconds = time.monotonic() - drain_started
    finally:
        daemons.stop_all()
        hook.stop()
        smtp.stop()
    counts = status_counts(sessions)
    engine.dispose()
    in_flight = daemons.in_flight_at_kills()
    expected = {c: {f"{k}:{c}" for k in keys} for c in CHANNELS}
    arrived = {c: set(tally.counts[c]) & expected[c] for c in CHANNELS}
    deliveries = sum(sum(tally.counts[c].values()) for c in CHANNELS)
    lost_acks = daemons.lost_acknowledgements()
    repeats = explained = by_lost_ack = 0
    for channel in CHANNELS:
        for key, seen in tally.counts[channel].items():
            if seen > 1:
                extra = seen - 1
                repeats += extra
                by_kill = min(extra, in_flight.get(key, 0))
                explained += by_kill
                by_lost_ack += min(extra - by_kill, lost_acks.get(key, 0))
    return {
        "database": "postgresql" if db_url.startswith("postgresql") else "sqlite",
        "daemons_at_once": daemons_at_once,
        "alerts": alerts,
        "messages_expected": alerts * len(CHANNELS),
        "messages_arrived_distinct": sum(len(a) for a in arrived.values()),
        "deliveries_total": deliveries,
        "repeats": repeats,
        "repeats_explained_by_kills": explained,
        "repeats_after_lost_acknowledgement": by_lost_ack,
        "repeats_unexplained": repeats - explained - by_lost_ack,
        "sigkills": daemons.kills,
        "in_flight_at_kills": sum(in_flight.values()),
        "receiver_stops": receiver_stops,
        "daemon_starts": len(daemons.history),
        "daemons_crashed_otherwise": daemons.crashed_otherwise(),
        "rejected_signatures": tally.rejected,
        "outbox": counts,
        "chaos_seconds": round(chaos_seconds, 1),
        "drain_seconds": round(drain_seconds, 1),
    }


@contextmanager
def postgres_schema(base: str) -> Iterator[str]:
    schema = f"drill_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    sep = "&" if "?" in base else "?"
    try:
        yield f"{base}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def passed(result: dict[str, Any]) -> bool:
    return (
        result["messages_arrived_distinct"] == result["messages_expected"]
        and result["repeats_unexplained"] == 0
        and not result["outbox"].get("pending")
        and not result["outbox"].get("failed")
        and not result["daemons_crashed_otherwise"]
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--alerts", type=int, default=1000, help="alerts per database (each to webhook and email)")
    parser.add_argument("--chaos", type=float, default=45.0, help="seconds of random kills and receiver outages")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--no-postgres", action="store_true", help="skip PostgreSQL even when it is configured")
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory(prefix="alert-drill-") as tmp:
        work = Path(tmp, "sqlite")
        work.mkdir()
        results.append(run_drill(f"sqlite:///{work / 'drill.db'}", 1, args.alerts, args.chaos, args.seed, work))
        base = os.environ.get("MONITOR_TEST_POSTGRES_URL")
        if base and not args.no_postgres:
            work = Path(tmp, "postgres")
            work.mkdir()
            with postgres_schema(base) as url:
                results.append(run_drill(url, 2, args.alerts, args.chaos, args.seed + 1, work))
    ok = all(passed(r) for r in results)
    if args.json:
        print(json.dumps({"ok": ok, "runs": results}, indent=1))
    else:
        for r in results:
            print(
                f"{r['database']:<10} daemons={r['daemons_at_once']} alerts={r['alerts']} "
                f"messages {r['messages_arrived_distinct']}/{r['messages_expected']} arrived, "
                f"deliveries {r['deliveries_total']}, repeats {r['repeats']} "
                f"({r['repeats_explained_by_kills']} explained by a kill between send and record, "
                f"{r['repeats_after_lost_acknowledgement']} by a receiver stopped mid-reply, "
                f"{r['repeats_unexplained']} unexplained); SIGKILLs {r['sigkills']} "
                f"(in flight at a kill: {r['in_flight_at_kills']}), receiver outages {r['receiver_stops']}, "
                f"outbox {r['outbox']}, chaos {r['chaos_seconds']} s, drained in {r['drain_seconds']} s"
            )
            if r["daemons_crashed_otherwise"]:
                print(f"  daemons that exited with an error: {r['daemons_crashed_otherwise']}")
        if not os.environ.get("MONITOR_TEST_POSTGRES_URL"):
            print("PostgreSQL run skipped: set MONITOR_TEST_POSTGRES_URL to drill two daemons on PostgreSQL")
        print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    with suppress(KeyboardInterrupt):
        sys.exit(main())
