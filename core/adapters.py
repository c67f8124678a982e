"""Data adapters behind one small interface: files, database and weather.

Workflows reach outside data through :func:`get_adapter` and
:meth:`Adapter.call`, never directly. Every call runs in its own daemon
thread and is abandoned after the adapter's timeout (weather 5 s, files
10 s, database 15 s, the seed's figures), so a stalled source cannot hold a
run longer than that. Abandoned calls are told to stop (a cancel event; the
database adapter also cancels its query on the server).

Faults are injected per call through :class:`CallOptions` (``fail``,
``stall``, ``latency``), and ``timeout_scale`` shrinks the timeouts so tests
exercise the timeout paths in a fraction of a second.

* files: searches the text files under ``data/`` by name and by content.
* database: queries the tables seeded by migration 0004 in the ``lgops_demo``
  schema (customers, orders, products, inventory).
* weather: reads the real NOAA observations shipped in ``data/weather/``.
"""

from __future__ import annotations

import fnmatch
import re
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import date
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any, ClassVar

import pandas as pd

from core.db import get_pool

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
WEATHER_DIR = DATA_DIR / "weather"

TIMEOUTS: dict[str, float] = {"weather": 5.0, "files": 10.0, "database": 15.0}
"""Seconds each adapter's calls may take (seed 003: weather 5, files 10, database 15)."""

STOP_WORDS = frozenset(
    "the a an and or but in on at to for of with from about what which this that these those "
    "there their have has had were was are is be been show give find tell please need want "
    "could would should does into over under than then them they your our".split()
)


class AdapterError(Exception):
    """A call failed; the message is meant for the run's error report."""


class AdapterTimeout(AdapterError):
    """A call did not answer within its timeout and was abandoned."""


class InjectedFault(AdapterError):
    """A failure asked for on purpose through the run's input."""


def keywords(text: str, limit: int = 3) -> list[str]:
    """Search terms from free text: words longer than three letters, minus stop words.

    The seed's rule (``len(word) > 3`` and not a stop word, first three), with
    punctuation stripped so "logs?" and "logs" are the same term, and numbers
    and dates left out (they are read separately).
    """
    words = re.findall(r"[a-z0-9][a-z0-9_\-]*", text.lower())
    seen: list[str] = []
    for word in words:
        if len(word) > 3 and word not in STOP_WORDS and word not in seen and not word[0].isdigit():
            seen.append(word)
    return seen[:limit]


@dataclass(frozen=True)
class CallOptions:
    """Fault injection and timeout scaling for one call.

    Attributes:
        fail: raise :class:`InjectedFault` instead of doing the work.
        stall: hang (until abandoned) instead of answering, to exercise timeouts.
        latency: extra seconds of waiting before the work, to make timings visible.
        timeout_scale: multiplies the adapter's timeout (tests use 0.02 or so).
    """

    fail: bool = False
    stall: bool = False
    latency: float = 0.0
    timeout_scale: float = 1.0


@dataclass(frozen=True)
class CallResult:
    """The outcome of one call, in plain values so it can live in graph state."""

    adapter: str
    tool: str
    args: dict[str, Any]
    ok: bool
    data: Any = None
    error: str | None = None
    seconds: float = 0.0
    timed_out: bool = False

    def to_dict(self) -> dict[str, Any]:
        """Plain dict for graph state and events."""
        return asdict(self)


@dataclass
class CallContext:
    """What the worker thread sees: a cancel flag and a place to hang cancel hooks."""

    timeout: float
    cancel: threading.Event = field(default_factory=threading.Event)
    _hooks: list[Callable[[], None]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @contextmanager
    def cancel_hook(self, hook: Callable[[], None]) -> Iterator[None]:
        """Run ``hook`` if the caller gives up while the block runs (at once if it has).

        The hook is removed on leaving the block, so a connection handed back
        to the pool is never cancelled on behalf of a call that is over.
        """
        with self._lock:
            registered = not self.cancel.is_set()
            if registered:
                self._hooks.append(hook)
        if not registered:
            hook()
        try:
            yield
        finally:
            with self._lock:
                if hook in self._hooks:
                    self._hooks.remove(hook)

    def abandon(self) -> None:
        """Tell the worker to stop; called by the caller after a timeout."""
        with self._lock:
            self.cancel.set()
            hooks, self._hooks = self._hooks, []
        for hook in hooks:
            try:
                hook()
            except Exception:  # noqa: BLE001, S110 - best effort, the call is abandoned anyway
                pass

    def wait(self, seconds: float) -> None:
        """Sleep, but raise as soon as the caller gives up."""
        if seconds > 0 and self.cancel.wait(seconds):
            raise AdapterTimeout("abandoned")


class Adapter(ABC):
    """One outside data source. Subclasses implement :meth:`_execute`."""

    name: ClassVar[str]
    timeout_seconds: ClassVar[float]
    tools: ClassVar[tuple[str, ...]]

    @abstractmethod
    def _execute(self, tool: str, args: dict[str, Any], ctx: CallContext) -> Any:
        """Do the work in the worker thread; return JSON-like data or raise AdapterError."""

    def _stall(self, ctx: CallContext) -> None:
        """Hang until abandoned; adapters with a real resource override it."""
        ctx.wait(ctx.timeout * 20 + 60)
        raise AdapterTimeout("abandoned")

    def call(
        self, tool: str, args: dict[str, Any] | None = None, options: CallOptions | None = None
    ) -> CallResult:
        """Run one tool call with the adapter's timeout; never raises.

        The work runs in a daemon thread; the caller waits at most the (scaled)
        timeout, then abandons it, so the run goes on whatever the source does.
        """
        args = dict(args or {})
        options = options or CallOptions()
        timeout = self.timeout_seconds * options.timeout_scale
        started = time.perf_counter()
        if tool not in self.tools:
            return CallResult(self.name, tool, args, False, error=f"unknown tool {tool!r}")
        ctx = CallContext(timeout=timeout)
        future: Future[Any] = Future()

        def work() -> None:
            if not future.set_running_or_notify_cancel():
                return
            try:
                ctx.wait(options.latency)
                if options.fail:
                    raise InjectedFault(f"{self.name} failure injected for this run")
                if options.stall:
                    self._stall(ctx)
                future.set_result(self._execute(tool, args, ctx))
            except BaseException as exc:  # noqa: BLE001 - handed to the caller
                future.set_exception(exc)

        threading.Thread(target=work, name=f"adapter-{self.name}-{tool}", daemon=True).start()
        try:
            data = future.result(timeout=timeout)
        except FutureTimeout:
            ctx.abandon()
            return CallResult(
                self.name,
                tool,
                args,
                False,
                error=f"timeout after {timeout:.2f}s calling {self.name}.{tool}",
                seconds=round(time.perf_counter() - started, 4),
                timed_out=True,
            )
        except Exception as exc:  # noqa: BLE001 - every failure becomes a result
            return CallResult(
                self.name,
                tool,
                args,
                False,
                error=str(exc) or type(exc).__name__,
                seconds=round(time.perf_counter() - started, 4),
            )
        return CallResult(
            self.name, tool, args, True, data=data, seconds=round(time.perf_counter() - started, 4)
        )


# ---------------------------------------------------------------------------- files

TEXT_SUFFIXES = frozenset({".md", ".txt", ".log", ".csv", ".json", ".sql", ".yaml", ".yml"})
# pg: the embedded server's files; samples and router: launch inputs and labelled
# queries, which would only echo the query back.
SKIPPED_DIRS = frozenset({"pg", "generated", "samples", "router", "__pycache__"})
MAX_FILE_BYTES = 2_000_000


class FilesAdapter(Adapter):
    """Searches the text files under a root (``data/``) by name and by content."""

    name = "files"
    timeout_seconds = TIMEOUTS["files"]
    tools = ("search_files", "read_file")

    def __init__(self, root: Path | None = None) -> None:
        self.root = (root or DATA_DIR).resolve()

    def _files(self, ctx: CallContext) -> list[Path]:
        found = []
        for path in sorted(self.root.rglob("*")):
            if ctx.cancel.is_set():
                raise AdapterTimeout("abandoned")
            rel = path.relative_to(self.root)
            if any(part in SKIPPED_DIRS or part.startswith(".") for part in rel.parts):
                continue
            if path.is_file() and path.suffix.lower() in TEXT_SUFFIXES:
                if path.stat().st_size <= MAX_FILE_BYTES:
                    found.append(path)
        return found

    def _execute(self, tool: str, args: dict[str, Any], ctx: CallContext) -> Any:
        if tool == "read_file":
            return self._read(str(args.get("path", "")))
        return self._search(
            str(args.get("pattern", "")),
            str(args.get("search_type", "any")),
            int(args.get("max_results", 10)),
            ctx,
        )

    def _read(self, rel: str) -> dict[str, Any]:
        path = (self.root / rel).resolve()
        if not path.is_relative_to(self.root) or not path.is_file():
            raise AdapterError(f"no file {rel!r} under data/")
        text = path.read_text(errors="replace")
        return {"path": rel, "bytes": len(text.encode()), "text": text[:4000]}

    def _search(self, pattern: str, search_type: str, max_results: int, ctx: CallContext) -> dict[str, Any]:
        """Name matches use shell wildcards; content matches use the term without them."""
        if search_type not in ("name", "content", "any"):
            raise AdapterError(f"search_type must be name, content or any, not {search_type!r}")
        term = pattern.strip("*").lower()
        if not term:
            raise AdapterError("empty search pattern")
        glob = pattern.lower() if any(c in pattern for c in "*?[") else f"*{term}*"
        matches: list[dict[str, Any]] = []
        scanned = 0
        for path in self._files(ctx):
            scanned += 1
            rel = path.relative_to(self.root).as_posix()
            by_name = search_type in ("name", "any") and fnmatch.fnmatch(rel.lower(), glob)
            lines: list[dict[str, Any]] = []
            if search_type in ("content", "any"):
                with path.open(errors="replace") as handle:
                    for number, line in enumerate(handle, start=1):
                        if term in line.lower():
                            lines.append({"line": number, "text": line.strip()[:200]})
            if by_name or lines:
                matches.append(
                    {
                        "path": rel,
                        "name_match": by_name,
                        "content_matches": len(lines),
                        "lines": lines[:3],
                    }
                )
        matches.sort(key=lambda m: (not m["name_match"], -m["content_matches"], m["path"]))
        return {
            "pattern": pattern,
            "search_type": search_type,
            "files_scanned": scanned,
            "total_matches": len(matches),
            "matches": matches[:max_results],
        }


# ---------------------------------------------------------------------------- database

_ANALYTICS_SQL = {
    "monthly": """
        SELECT to_char(date_trunc('month', ordered_at), 'YYYY-MM') AS month,
               count(*) AS orders, sum(amount)::float AS revenue,
               round(avg(CASE WHEN status = 'returned' THEN 1 ELSE 0 END)::numeric, 4)::float
                   AS return_rate
        FROM lgops_demo.orders
        WHERE ordered_at >= date_trunc('month', (SELECT max(ordered_at) FROM lgops_demo.orders)) - interval '11 months'
        GROUP BY 1 ORDER BY 1""",
    "by_category": """
        SELECT p.category, count(*) AS orders, sum(o.amount)::float AS revenue
        FROM lgops_demo.orders o JOIN lgops_demo.products p USING (sku)
        GROUP BY 1 ORDER BY revenue DESC""",
    "by_tier": """
        SELECT c.tier, count(DISTINCT c.id) AS customers, count(o.id) AS orders,
               coalesce(sum(o.amount), 0)::float AS revenue
        FROM lgops_demo.customers c LEFT JOIN lgops_demo.orders o ON o.customer_id = c.id
        GROUP BY 1 ORDER BY revenue DESC""",
}

_METADATA_TABLES = ("customers", "orders", "products", "inventory")
_ROW_COUNT_SQL = "SELECT count(*) AS n FROM lgops_demo.{table}"
_COLUMN_COUNTS_SQL = """
        SELECT table_name, count(*) AS columns FROM information_schema.columns
        WHERE table_schema = 'lgops_demo' AND table_name = ANY(%s)
        GROUP BY 1 ORDER BY 1"""

_READ_ONLY_SQL = "SET TRANSACTION READ ONLY"
_STATEMENT_TIMEOUT_SQL = "SET LOCAL statement_timeout = {ms}"
_SLEEP_SQL = "SELECT pg_sleep(%s)"
_CUSTOMER_BY_EMAIL_SQL = (
    "SELECT id, name, email, company, city, tier FROM lgops_demo.customers WHERE lower(email) = lower(%s)"
)
_CUSTOMERS_MATCHING_SQL = """
        SELECT id, name, email, company, city, tier FROM lgops_demo.customers
        WHERE name ILIKE ANY(%(p)s) OR company ILIKE ANY(%(p)s)
           OR city ILIKE ANY(%(p)s) OR email ILIKE ANY(%(p)s)
        ORDER BY id"""
_PRODUCTS_MATCHING_SQL = """
        SELECT p.sku, p.name, p.category, p.price::float AS price, i.on_hand
        FROM lgops_demo.products p JOIN lgops_demo.inventory i USING (sku)
        WHERE p.name ILIKE ANY(%(p)s) OR p.category ILIKE ANY(%(p)s)
           OR p.description ILIKE ANY(%(p)s)
        ORDER BY p.price"""
_ALL_PRODUCTS_SQL = """
        SELECT p.sku, p.name, p.category, p.price::float AS price, i.on_hand
        FROM lgops_demo.products p JOIN lgops_demo.inventory i USING (sku) ORDER BY p.price"""


def _plain(value: Any) -> Any:
    """Database values as JSON-like values."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def _rows(cursor: Any) -> list[dict[str, Any]]:
    return [{k: _plain(v) for k, v in row.items()} for row in cursor.fetchall()]


class DatabaseAdapter(Adapter):
    """Read-only queries on the tables migration 0004 creates and seeds.

    ``query`` takes a logical table (the seed's ``user_data``,
    ``historical_data`` and ``metadata``, plus ``customers``, ``products`` and
    ``analytics`` for the router's handlers) and free text whose keywords
    filter the rows.
    """

    name = "database"
    timeout_seconds = TIMEOUTS["database"]
    tools = ("query", "lookup_customer")
    tables = ("user_data", "customers", "historical_data", "metadata", "products", "analytics")

    def __init__(self, pool: Any | None = None) -> None:
        self._pool = pool

    @property
    def pool(self) -> Any:
        if self._pool is None:
            self._pool = get_pool()
        return self._pool

    @contextmanager
    def _transaction(self, ctx: CallContext) -> Iterator[Any]:
        """A read-only transaction the caller can cancel on the server when it gives up."""
        with self.pool.connection(timeout=ctx.timeout) as conn, ctx.cancel_hook(conn.cancel_safe):
            with conn.transaction():
                conn.execute(_READ_ONLY_SQL)
                # The server enforces the timeout too, so an abandoned query cannot linger.
                conn.execute(_STATEMENT_TIMEOUT_SQL.format(ms=int(ctx.timeout * 1000) + 1000))
                yield conn

    def _stall(self, ctx: CallContext) -> None:
        """A real stalled query: ``pg_sleep`` on the server, cancelled when abandoned."""
        try:
            with self._transaction(ctx) as conn:
                conn.execute(_SLEEP_SQL, (ctx.timeout * 20 + 60,))
        except Exception as exc:  # noqa: BLE001 - cancelled or timed out on the server
            raise AdapterTimeout(f"query cancelled: {exc}") from None
        raise AdapterTimeout("abandoned")

    def _execute(self, tool: str, args: dict[str, Any], ctx: CallContext) -> Any:
        with self._transaction(ctx) as conn:
            if tool == "lookup_customer":
                return self._lookup_customer(conn, str(args.get("email", "")))
            return self._query(conn, str(args.get("table", "")), str(args.get("query", "")))

    @staticmethod
    def _lookup_customer(conn: Any, email: str) -> dict[str, Any] | None:
        cur = conn.execute(_CUSTOMER_BY_EMAIL_SQL, (email,))
        rows = _rows(cur)
        return rows[0] if rows else None

    def _query(self, conn: Any, table: str, text: str) -> dict[str, Any]:
        if table not in self.tables:
            raise AdapterError(f"unknown table {table!r}; expected one of {', '.join(self.tables)}")
        terms = keywords(text, limit=5)
        patterns = [f"%{t}%" for t in terms] or ["%"]
        if table in ("user_data", "customers"):
            cur = conn.execute(_CUSTOMERS_MATCHING_SQL, {"p": patterns})
            rows = _rows(cur)
            tiers: dict[str, int] = {}
            for row in rows:
                tiers[row["tier"]] = tiers.get(row["tier"], 0) + 1
            return {"table": table, "terms": terms, "matched": len(rows), "by_tier": tiers, "rows": rows[:10]}
        if table == "products":
            cur = conn.execute(_PRODUCTS_MATCHING_SQL, {"p": patterns})
            rows = _rows(cur)
            if not rows:  # nothing named: the whole catalogue is the useful answer
                rows = _rows(conn.execute(_ALL_PRODUCTS_SQL))
            return {"table": table, "terms": terms, "matched": len(rows), "rows": rows}
        if table == "historical_data":
            monthly = _rows(conn.execute(_ANALYTICS_SQL["monthly"]))
            revenue = sum(m["revenue"] for m in monthly)
            return {
                "table": table,
                "months": len(monthly),
                "orders": sum(m["orders"] for m in monthly),
                "revenue": round(revenue, 2),
                "monthly": monthly,
            }
        if table == "analytics":
            monthly = _rows(conn.execute(_ANALYTICS_SQL["monthly"]))
            trend = None
            if len(monthly) >= 6:
                first = sum(m["revenue"] for m in monthly[:3])
                last = sum(m["revenue"] for m in monthly[-3:])
                trend = round((last - first) / first, 4) if first else None
            return {
                "table": table,
                "by_category": _rows(conn.execute(_ANALYTICS_SQL["by_category"])),
                "by_tier": _rows(conn.execute(_ANALYTICS_SQL["by_tier"])),
                "revenue_trend_last_vs_first_quarter": trend,
                "monthly": monthly,
            }
        # metadata: what the database holds, from the catalogue and real counts
        counts = {t: conn.execute(_ROW_COUNT_SQL.format(table=t)).fetchone()["n"] for t in _METADATA_TABLES}
        columns = _rows(conn.execute(_COLUMN_COUNTS_SQL, (list(_METADATA_TABLES),)))
        return {"table": table, "row_counts": counts, "columns": columns}


# ---------------------------------------------------------------------------- weather

CITY_ALIASES: dict[str, str] = {
    "seattle": "Seattle",
    "san francisco": "San Francisco",
    "sf": "San Francisco",
}


def _f_to_c(series: pd.Series) -> pd.Series:
    return (series - 32.0) * 5.0 / 9.0


def _daily_from_hourly(path: Path, temp: str, when: str) -> pd.DataFrame:
    hourly = pd.read_csv(path)
    hourly["day"] = pd.to_datetime(hourly[when], format="mixed").dt.date
    celsius = _f_to_c(hourly[temp].astype(float))
    grouped = celsius.groupby(hourly["day"])
    daily = pd.DataFrame({"temp_max": grouped.max(), "temp_min": grouped.min(), "temp_mean": grouped.mean()})
    daily.index.name = "date"
    daily["source"] = path.name
    return daily.round(2)


@cache
def weather_table(root: Path = WEATHER_DIR) -> dict[str, pd.DataFrame]:
    """Daily observations per city, indexed by date (read once per process)."""
    seattle = pd.read_csv(root / "seattle-weather.csv")
    seattle["date"] = pd.to_datetime(seattle["date"], format="%Y/%m/%d").dt.date
    seattle = seattle.set_index("date")
    seattle["source"] = "seattle-weather.csv"
    seattle_2010 = _daily_from_hourly(root / "seattle-temps.csv", "temp", "date")
    sf = _daily_from_hourly(root / "sf-temps.csv", "temp", "date")
    return {
        "Seattle": pd.concat([seattle_2010, seattle]).sort_index(),
        "San Francisco": sf.sort_index(),
    }


def known_city(name: str) -> str | None:
    """The dataset's spelling of a city, or None when no data covers it."""
    return CITY_ALIASES.get(name.strip().lower())


class WeatherAdapter(Adapter):
    """Real daily weather by city and date, from the NOAA files in ``data/weather/``.

    ``get_current_weather`` answers with the latest observation on or before
    ``date`` (the newest in the file without one): a historical dataset has
    no "now".
    """

    name = "weather"
    timeout_seconds = TIMEOUTS["weather"]
    tools = ("get_current_weather", "get_weather", "list_cities")

    def __init__(self, root: Path | None = None) -> None:
        self.root = root or WEATHER_DIR

    def _execute(self, tool: str, args: dict[str, Any], ctx: CallContext) -> Any:
        tables = weather_table(self.root)
        if tool == "list_cities":
            return {
                city: {"from": str(t.index.min()), "to": str(t.index.max()), "days": len(t)}
                for city, t in tables.items()
            }
        city = known_city(str(args.get("city", "")))
        if city is None:
            raise AdapterError(f"no weather data for {args.get('city')!r}")
        table = tables[city]
        wanted = args.get("date")
        day = date.fromisoformat(str(wanted)) if wanted else None
        if tool == "get_weather":
            if day is None or day not in table.index:
                raise AdapterError(
                    f"no observation for {city} on {wanted} "
                    f"(data covers {table.index.min()}..{table.index.max()})"
                )
            return self._record(city, day, table.loc[day])
        eligible = table if day is None else table[table.index <= day]
        if eligible.empty:
            raise AdapterError(f"no observation for {city} on or before {wanted}")
        latest = eligible.index.max()
        return self._record(city, latest, eligible.loc[latest])

    @staticmethod
    def _record(city: str, day: date, row: pd.Series) -> dict[str, Any]:
        record: dict[str, Any] = {"city": city, "date": day.isoformat()}
        for key, value in row.items():
            if pd.isna(value):
                continue
            record[str(key)] = value.item() if hasattr(value, "item") else value
        return record


# ---------------------------------------------------------------------------- registry

ADAPTERS: dict[str, type[Adapter]] = {
    "weather": WeatherAdapter,
    "files": FilesAdapter,
    "database": DatabaseAdapter,
}


def get_adapter(name: str) -> Adapter:
    """A fresh adapter by name (``weather``, ``files``, ``database``)."""
    try:
        return ADAPTERS[name]()
    except KeyError:
        raise AdapterError(f"no adapter {name!r}") from None
