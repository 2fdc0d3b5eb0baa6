"""The Splink baseline of the duplicate-scan benchmark: Splink 5 on DuckDB, a competent
first model, over the same book.

Run by ``bench_scan.py`` in its own environment (Splink is not a dependency of
crmcore): ``python splink_baseline.py INPUT.jsonl OUTPUT.tsv``. INPUT has one customer per
line (``unique_id`` and the raw fields a Splink user would feed it, lower-cased and the
phone cut to its digits); OUTPUT receives the pairs Splink predicts as matches
(probability >= 0.9). Prints a JSON line: wall seconds per stage, peak RSS, pairs.
"""

from __future__ import annotations

import json
import resource
import sys
import time

import duckdb
import splink.comparison_library as cl
from splink import Linker, SettingsCreator, block_on
from splink.backends.duckdb import DuckDBAPI


def main() -> None:
    source, target = sys.argv[1], sys.argv[2]
    began = time.perf_counter()
    connection = duckdb.connect()
    connection.execute(
        "CREATE TABLE book AS SELECT * FROM read_json(?, format = 'newline_delimited', "
        "columns = {unique_id: 'VARCHAR', company: 'VARCHAR', contact: 'VARCHAR', "
        "phone: 'VARCHAR', email: 'VARCHAR', region: 'VARCHAR', uscc: 'VARCHAR', "
        "external_id: 'VARCHAR'})",
        [source],
    )
    loaded = time.perf_counter()
    settings = SettingsCreator(
        link_type="dedupe_only",
        blocking_rules_to_generate_predictions=[
            block_on("company"),
            block_on("phone"),
            block_on("email"),
            block_on("contact", "region"),
            block_on("uscc"),
            block_on("external_id"),
        ],
        comparisons=[
            cl.JaroWinklerAtThresholds("company", [0.95, 0.88, 0.8]),
            cl.JaroWinklerAtThresholds("contact", [0.95, 0.88]),
            cl.LevenshteinAtThresholds("phone", [1, 2]),
            cl.EmailComparison("email"),
            cl.ExactMatch("region"),
            cl.ExactMatch("uscc"),
            cl.ExactMatch("external_id"),
        ],
        retain_intermediate_calculation_columns=False,
    )
    api = DuckDBAPI(connection)
    linker = Linker(api.register("book"), settings, log_level="WARNING")
    linker.training.estimate_probability_two_random_records_match(
        [block_on("phone"), block_on("email"), block_on("uscc")], recall=0.7
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=2e6)
    failed = []
    for column in ("company", "phone", "contact"):
        # At a million rows Splink's EM can underflow an m probability below 1e-300
        # (its ValueError): the session is skipped, as a user would, and said.
        try:
            linker.training.estimate_parameters_using_expectation_maximisation(
                block_on(column)
            )
        except ValueError:
            failed.append(column)
    trained = time.perf_counter()
    predictions = linker.inference.predict(threshold_match_probability=0.9)
    pairs = connection.execute(
        f"SELECT unique_id_l, unique_id_r FROM {predictions.physical_name}"
    ).fetchall()
    predicted = time.perf_counter()
    with open(target, "w", encoding="utf-8") as out:
        for left, right in pairs:
            out.write(f"{left}\t{right}\n")
    print(
        json.dumps(
            {
                "seconds": round(predicted - began, 2),
                "load": round(loaded - began, 2),
                "train": round(trained - loaded, 2),
                "predict": round(predicted - trained, 2),
                "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
                "pairs": len(pairs),
                "em_sessions_failed": failed,
            }
        )
    )


if __name__ == "__main__":
    main()
