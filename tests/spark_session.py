"""One local Spark session per test process (a JVM takes seconds to start), on loopback.

Real Spark in local mode - the same engine a cluster runs, with the driver and its
executor threads in one JVM - so the tests run the scan's Spark SQL for real.
"""

from __future__ import annotations

import os
from functools import cache
from typing import Any

LOCAL_SPARK = {
    # Traffic stays on 127.0.0.1: the driver binds there and no web UI is started.
    "SPARK_LOCAL_IP": "127.0.0.1",
    "PYSPARK_SUBMIT_ARGS": (
        "--master local[2] --conf spark.ui.enabled=false "
        "--conf spark.sql.shuffle.partitions=2 --conf spark.driver.host=127.0.0.1 "
        "--conf spark.driver.bindAddress=127.0.0.1 pyspark-shell"
    ),
}
"""The environment a ``crm`` child process gets to scan on local Spark."""


@cache
def local_spark() -> Any:
    """Starts (once) and returns this process's Spark session; the scan's engine finds
    it active and leaves it running for the next test."""
    os.environ.update(LOCAL_SPARK)
    from pyspark.sql import SparkSession

    session = SparkSession.builder.appName("crmcore tests").getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session
