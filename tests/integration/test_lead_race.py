"""Processes capturing one buyer's phone, typed their own way, at the same instant: one
lead, every capture a touch on it."""

from __future__ import annotations

import multiprocessing
from collections import defaultdict
from collections.abc import Mapping
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier

import pytest

from adapters.demo_race import run_workers, typed_phone
from crmcore import CaptureLead, CrmApplication, parse_command
from crmcore.domain.lead import Lead
from tests.conftest import all_events

PROCESSES = 4
ROUNDS = 25
CHANNELS = ("web", "ad", "exhibition", "referral")


def capture_in_rounds(
    env: Mapping[str, str],
    worker: int,
    barrier: Barrier,
    results: Queue[list[tuple[int, str, str]]],
) -> None:
    """A worker: at each round, after every other worker is ready, captures that round's
    phone through its own channel; reports (round, outcome, lead id)."""
    app = CrmApplication(env)
    entries: list[tuple[int, str, str]] = []
    try:
        for round_no in range(ROUNDS):
            command = parse_command(
                CaptureLead,
                {
                    "actor": f"channel-{worker}",
                    "channel": CHANNELS[worker % len(CHANNELS)],
                    "phone": typed_phone(round_no, worker, prefix="150"),
                    "device_id": f"fp-{round_no}-{worker}",
                },
            )
            barrier.wait(timeout=120)
            result = app.capture_lead(command)
            entries.append((round_no, result.outcome, str(result.lead_id)))
    finally:
        app.close()
        results.put(entries)


@pytest.mark.slow
def test_racing_captures_of_one_phone_leave_one_lead(store_env: dict[str, str]) -> None:
    env = store_env
    CrmApplication(env).close()  # create the tables before the race starts
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(PROCESSES)
    results: Queue[list[tuple[int, str, str]]] = ctx.Queue()
    workers = [
        ctx.Process(target=capture_in_rounds, args=(dict(env), w, barrier, results))
        for w in range(PROCESSES)
    ]
    by_round: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for round_no, outcome, lead_id in run_workers(workers, results):
        by_round[round_no].append((outcome, lead_id))
    for round_no in range(ROUNDS):
        outcomes = sorted(outcome for outcome, _ in by_round[round_no])
        assert outcomes == ["created"] + ["joined_lead"] * (PROCESSES - 1)
        assert len({lead_id for _, lead_id in by_round[round_no]}) == 1

    app = CrmApplication(env)  # the store itself, read back
    try:
        captured = [e for e in all_events(app) if isinstance(e, Lead.Captured)]
        assert len(captured) == ROUNDS
        for event in captured:
            lead = app.get_lead(event.originator_id)
            assert len(lead.touches) == PROCESSES
            assert sum(key.startswith("device:") for key in lead.keys) == PROCESSES
    finally:
        app.close()
