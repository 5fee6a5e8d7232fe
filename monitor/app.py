"""The runtime assembled from Settings: engine, sessions, fetcher and the pipeline's stages."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from monitor.alerts.channels import build_deliverer
from monitor.alerts.outbox import Deliverer
from monitor.config import Settings
from monitor.db.engine import DatabaseError, make_engine, make_sessionmaker
from monitor.db.migrate import upgrade
from monitor.fetch import Fetcher
from monitor.ingest import Ingestor
from monitor.keywords.matcher import Watchlist, WatchlistMatcher
from monitor.pipeline import Pipeline
from monitor.watch import SpikeWatcher


def build_matcher(settings: Settings) -> WatchlistMatcher:
    return WatchlistMatcher(
        [Watchlist(w.name, tuple(w.terms), tuple(w.exclude)) for w in settings.watchlists]
    )


@dataclass
class App:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    fetcher: Fetcher
    ingestor: Ingestor
    pipeline: Pipeline
    watcher: SpikeWatcher
    deliverer: Deliverer
    stop: threading.Event = field(default_factory=threading.Event)

    @classmethod
    def open(cls, settings: Settings, *, migrate: bool = True) -> App:
        """Connect (creating or upgrading the schema when ``migrate``) and wire the stages."""
        engine = make_engine(settings.database_url)
        if migrate:
            try:
                upgrade(engine)
            except OperationalError as exc:
                engine.dispose()
                raise DatabaseError(f"cannot open the database {settings.database.url}: {exc.orig}") from None
        sessions = make_sessionmaker(engine)
        fetcher = Fetcher(settings.fetch)
        ingestor = Ingestor(build_matcher(settings), settings.spikes.bucket)
        stop = threading.Event()
        return cls(
            settings=settings,
            engine=engine,
            sessions=sessions,
            fetcher=fetcher,
            ingestor=ingestor,
            pipeline=Pipeline(settings, sessions, fetcher, ingestor, stop),
            watcher=SpikeWatcher(settings, sessions),
            deliverer=build_deliverer(settings, sessions, stop),
            stop=stop,
        )

    def close(self) -> None:
        self.fetcher.close()
        self.engine.dispose()

    def __enter__(self) -> App:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
