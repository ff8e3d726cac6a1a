"""Database engines: one per distinct URL, so services on one server share one pool."""

from __future__ import annotations

from collections.abc import Iterable

from opentelemetry.sdk.trace import TracerProvider
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

from mallbots.transport import DatabaseTls
from readmodels.shared.db import SessionFactory


class Databases:
    """``tls`` (``mallbots.transport.database_tls``) goes into every engine's URL, where the URL says nothing else;
    with ``tracer``, every SQL statement is a span (``mallbots.telemetry.instrument_engines``)."""

    def __init__(
        self,
        urls: dict[str, str],
        pool_size: int = 10,
        *,
        tls: DatabaseTls | None = None,
        tracer: TracerProvider | None = None,
    ) -> None:
        self._urls = urls
        self._engines: dict[str, AsyncEngine] = {}
        for url in set(urls.values()):
            self._engines[url] = create_async_engine(
                tls.apply(url) if tls is not None else url,
                pool_size=pool_size,
                max_overflow=pool_size * 2,
                pool_pre_ping=True,
            )
        if tracer is not None:
            from mallbots.tracing_sql import instrument_engines  # imported only by a traced process

            instrument_engines(self._engines.values(), tracer)
        self._sessions = {
            service: async_sessionmaker(self._engines[url], class_=AsyncSession, expire_on_commit=False)
            for service, url in urls.items()
        }

    @property
    def services(self) -> Iterable[str]:
        return self._urls.keys()

    def sessions(self, service: str) -> SessionFactory:
        return self._sessions[service]

    async def ping(self) -> None:
        for engine in self._engines.values():
            async with engine.connect() as conn:
                await conn.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        for engine in self._engines.values():
            await engine.dispose()
