"""A worker process for the registration race: one application per process, as in prod."""

from __future__ import annotations

from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier

from crmcore import CrmApplication, DuplicateCustomer, RegisterCustomer, parse_command

FORMATS = (
    "138 {a} {b}",
    "+86-138-{a}-{b}",
    "0086 138{a}{b}",
    "86 138-{a}-{b}",
    "138{a}{b}",
    "(+86) 138 {a} {b}",
    "+86 138.{a}.{b}",
    "{fullwidth}",
)


def typed_phone(round_no: int, style: int) -> str:
    """Round ``round_no``'s phone, as the ``style``-th rep would type it."""
    a, b = "0013", f"{8000 + round_no:04d}"
    fullwidth = f"138{a}{b}".translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    return FORMATS[style % len(FORMATS)].format(a=a, b=b, fullwidth=fullwidth)


def register_in_rounds(
    db_path: str, worker: int, rounds: int, barrier: Barrier,
    results: Queue[list[tuple[int, str, str]]],
) -> None:
    """Registers each round's phone once; puts (round, outcome, customer id) per round."""
    app = CrmApplication({"PERSISTENCE_MODULE": "eventsourcing.sqlite",
                          "SQLITE_DBNAME": db_path, "SQLITE_LOCK_TIMEOUT": "30"})
    outcomes: list[tuple[int, str, str]] = []
    try:
        for round_no in range(rounds):
            command = parse_command(RegisterCustomer, {
                "actor": f"rep-{worker}",
                "company_name": f"竞速科技{round_no}号（第{worker}位销售录入）",
                "phone": typed_phone(round_no, worker),
            })
            barrier.wait(timeout=60)
            outcomes.append(_register(app, round_no, command))
    finally:
        app.close()
    results.put(outcomes)


def _register(
    app: CrmApplication, round_no: int, command: RegisterCustomer
) -> tuple[int, str, str]:
    try:
        return round_no, "created", str(app.register_customer(command))
    except DuplicateCustomer as refusal:
        return round_no, "blocked", str(refusal.existing_customer_id)
