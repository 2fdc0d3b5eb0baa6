"""The scan on Spark: the blocking self-join, the screens and the counts on a cluster
(or in local mode), for books beyond one machine's engine.

The statements are DuckDB's (:mod:`adapters.duplicate_scan.pair_queries`), spelled for
Spark SQL where the two differ (:class:`SparkDialect`). The book reaches Spark as
Parquet: the identity view is read on the machine running the command and its stored
profiles parsed into columns there, once, by the same code DuckDB uses
(:mod:`adapters.duplicate_scan.stored_profiles`: one mirror of the codec, not two), then
written to a staging folder that Spark reads. On a cluster that folder must be one the
driver and every executor see at the same path (a shared mount); the pairs counted per
part are written there too.

PySpark is an optional extra (``pip install 'crmcore[spark]'``) needing a Java runtime;
this module is imported only when the Spark engine is asked for.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from adapters.duplicate_scan import pair_queries as q
from adapters.duplicate_scan.book import Page
from adapters.duplicate_scan.duckdb_engine import (
    PAIRS_PER_PART,
    STAGED,
    DuckDbEngine,
    ScreenedRow,
    screened_row,
)
from adapters.duplicate_scan.pair_sql import might_be_one_edit
from crmcore.config import IdentityConfig
from crmcore.errors import EngineUnavailable

# PySpark warns about pandas versions it has not caught up with: the scan uses no
# pandas API of Spark's.
warnings.filterwarnings("ignore", "PySpark does not yet fully support pandas", FutureWarning)
try:
    from pyspark import StorageLevel
    from pyspark.sql import DataFrame, SparkSession
except ImportError as missing:  # pragma: no cover - the extra is installed by the tests
    raise EngineUnavailable(
        "engine: spark needs PySpark - pip install 'crmcore[spark]'"
    ) from missing


class SparkDialect:
    def any_of(self, items: str, name: str, predicate: str) -> str:
        return f"exists({items}, {name} -> {predicate})"

    def overlap(self, one: str, other: str) -> str:
        return f"arrays_overlap({one}, {other})"

    def size(self, items: str) -> str:
        return f"size({items})"

    def total(self, items: str, name: str, value: str) -> str:
        return f"aggregate({items}, 0D, (acc, {name}) -> acc + CAST({value} AS DOUBLE))"

    def best(self, items: str, name: str, value: str) -> str:
        return f"array_max(transform({items}, {name} -> {value}))"

    def one_edit(self, x: str, y: str) -> str:
        # Spark has no Damerau distance: a transposition is two Levenshtein edits, so
        # "at most two" keeps every pair one edit apart (a bound, as the screen needs).
        return f"({might_be_one_edit(x, y)} AND levenshtein({x}, {y}) <= 2)"

    def gather(self, value: str) -> str:
        return f"collect_list({value})"


_D = SparkDialect()
_VIEWS = (*STAGED, "sizes", "refused", "ab", "ekeys", "qkeys", "part", "directed",
          "counted")
"""The temporary views the scan names in its session (those of pair_queries)."""
_KEEP = StorageLevel.MEMORY_AND_DISK


def configured_master() -> bool:
    """Whether PySpark's own configuration names a master: ``--master`` in
    ``PYSPARK_SUBMIT_ARGS`` or ``spark.master`` in ``spark-defaults.conf`` (in
    ``SPARK_CONF_DIR``, else ``SPARK_HOME/conf``)."""
    if "--master" in os.environ.get("PYSPARK_SUBMIT_ARGS", ""):
        return True
    folder = os.environ.get("SPARK_CONF_DIR") or (
        os.path.join(os.environ["SPARK_HOME"], "conf") if "SPARK_HOME" in os.environ else None
    )
    if folder is None:
        return False
    defaults = Path(folder) / "spark-defaults.conf"
    if not defaults.is_file():
        return False
    lines = defaults.read_text(encoding="utf-8", errors="replace").splitlines()
    return any(line.split()[:1] == ["spark.master"] for line in lines)


def spark_session() -> tuple[SparkSession, bool]:
    """The active Spark session (an embedding program's, a test's), or a new one from
    PySpark's own configuration - ``PYSPARK_SUBMIT_ARGS``, ``SPARK_CONF_DIR``'s
    ``spark-defaults.conf``. When they name no master: local mode on every core, bound
    to 127.0.0.1 (a scan on one machine opens nothing to the network). Returns whether
    the scan started it (and so stops it)."""
    active = SparkSession.getActiveSession()
    if active is not None:
        return active, False
    if not (os.environ.get("JAVA_HOME") or shutil.which("java")):
        raise EngineUnavailable(
            "engine: spark needs a Java runtime, 17 or newer, on PATH or in JAVA_HOME "
            "(Debian: apt-get install openjdk-17-jre-headless)"
        )
    builder = SparkSession.builder.appName("crm duplicates scan").config(
        "spark.ui.showConsoleProgress", "false"
    )
    if not configured_master():
        builder = (
            builder.master("local[*]")
            .config("spark.driver.host", "127.0.0.1")
            .config("spark.driver.bindAddress", "127.0.0.1")
            .config("spark.ui.enabled", "false")
            # Spark's 200 shuffle partitions are a cluster's: on one machine their tasks'
            # overhead was half a small book's scan (54 s -> 31 s for 3k customers).
            .config("spark.sql.shuffle.partitions", str(max(4, 2 * (os.cpu_count() or 2))))
        )
    try:
        session = builder.getOrCreate()
    except Exception as failed:  # the JVM did not start: say so, not a Py4J traceback
        raise EngineUnavailable(f"engine: spark could not start: {failed}") from failed
    session.sparkContext.setLogLevel("ERROR")
    return session, True


class SparkEngine:
    """One scan on Spark: DuckDB stages the book, Spark pairs, screens and counts."""

    name = "spark"

    def __init__(self, part_size: int = PAIRS_PER_PART, staging: Path | None = None) -> None:
        self._part_size = part_size
        self._spark, self._owned = spark_session()
        # The statements were written for NULL-propagating SQL (DuckDB's): a division by
        # zero or a size of nothing is NULL, not an error.
        self._spark.conf.set("spark.sql.ansi.enabled", "false")
        self._folder = Path(tempfile.mkdtemp(prefix="crm-scan-", dir=staging))
        self._stage: DuckDbEngine | None = DuckDbEngine()
        self._kept: list[DataFrame] = []

    def close(self) -> None:
        for frame in self._kept:
            frame.unpersist()
        if self._stage is not None:
            self._stage.close()
        if self._owned:
            self._spark.stop()
        else:  # an embedding program's session: its catalog as it was, but for names
            for name in _VIEWS:  # of these it had itself (the scan replaced them)
                self._spark.catalog.dropTempView(name)
        shutil.rmtree(self._folder, ignore_errors=True)

    # -- loading: staged by DuckDB -----------------------------------------------------

    def _staging(self) -> DuckDbEngine:
        assert self._stage is not None, "the book was handed to Spark already"
        return self._stage

    def open_book(self, survivors: dict[str, str], generic: list[str]) -> None:
        self._staging().open_book(survivors, generic)

    def add_entries(self, page: Page) -> None:
        self._staging().add_entries(page)

    def holders(self) -> list[int]:
        return self._staging().holders()

    def add_looking_keys(self, page: Page) -> None:
        self._staging().add_looking_keys(page)

    def add_blocks(self, page: Page) -> None:
        self._staging().add_blocks(page)

    # -- pairing: on Spark -------------------------------------------------------------

    def _view(self, name: str, query: str) -> DataFrame:
        """``query``'s rows kept (memory, then disk) under the name ``name``."""
        frame = self._spark.sql(query).persist(_KEEP)
        frame.createOrReplaceTempView(name)
        self._kept.append(frame)
        return frame

    def _count(self, query: str) -> int:
        found = self._spark.sql(query).first()
        return int(found[0] or 0) if found else 0

    def oversized(self, max_block_size: int) -> dict[int, int]:
        """Hands the staged book to Spark; then as DuckDB's :meth:`DuckDbEngine.oversized`."""
        stage = self._staging()
        stage.export(self._folder)
        stage.close()
        self._stage = None
        for table in STAGED:
            path = str(self._folder / f"{table}.parquet")
            self._spark.read.parquet(path).createOrReplaceTempView(table)
        self._view("sizes", q.SIZES)
        rows = self._spark.sql(q.oversized(max_block_size)).collect()
        return {int(value): int(one) for value, one in rows}

    def pair_up(self, refused: set[int]) -> int:
        """As :meth:`DuckDbEngine.pair_up`."""
        # As SQL literals (a handful of blocks), not a Python list turned into a
        # DataFrame: that would need Python on the executors, and nothing else does.
        values = ", ".join(f"({int(value)})" for value in sorted(refused))
        self._spark.sql(
            f"SELECT CAST(k AS BIGINT) AS key_hash FROM VALUES {values} AS t(k)"
            if values
            else "SELECT CAST(NULL AS BIGINT) AS key_hash WHERE false"
        ).createOrReplaceTempView("refused")
        self._view("ab", q.LOOKED_IN)
        self._holders = self._count(q.HOLDERS)
        if self._holders:
            self._view("ekeys", q.filed_keys(_D))
            self._view("qkeys", q.looking_keys(_D))
        self._raw = self._count(q.RAW_PAIRS_TWICE) // 2
        self._single = 0
        return self._raw

    def screened(self, config: IdentityConfig) -> Iterator[ScreenedRow]:
        """As :meth:`DuckDbEngine.screened`; the pairs of customers to count once are
        appended, part by part, to ``counted`` in the staging folder."""
        judged = q.to_judge(_D, config, bool(self._holders))
        to_count = q.to_count(bool(self._holders))
        parts = q.part_count(self._raw, self._part_size)
        counted = str(self._folder / "counted")
        for number in range(parts):
            made = [self._view("part", q.part(parts, number))]
            if self._holders:
                made.append(self._view("directed", q.directed(_D)))
            yield from self._fetch(judged)
            self._single += self._count(q.SINGLE)
            self._spark.sql(to_count).write.mode("append").parquet(counted)
            for frame in made:
                frame.unpersist()
                self._kept.remove(frame)

    def compared(self) -> int:
        """As :meth:`DuckDbEngine.compared`."""
        counted = str(self._folder / "counted")
        frame = self._spark.read.schema("ca INT, cb INT").parquet(counted)
        frame.createOrReplaceTempView("counted")
        return self._single + self._count(q.COMPARED)

    def _fetch(self, query: str) -> Iterator[ScreenedRow]:
        # Partition by partition (the next one fetched while this one is judged): the
        # driver holds a partition, not the part.
        rows: Iterator[Any] = self._spark.sql(query).toLocalIterator(prefetchPartitions=True)
        for row in rows:
            yield screened_row(row)
