"""The stage gates as tables: which moves the default pipeline allows, and what a
refusal names."""

from __future__ import annotations

import pytest

from crmcore import ValidationFailed
from crmcore.errors import OpportunityRefused
from crmcore.opportunities.config import OpportunityConfig, SkipCondition
from crmcore.opportunities.pipeline import plan_move

CONFIG = OpportunityConfig()
FULL = {
    "need": "数据中台",
    "budget_range": "50-100万",
    "decision_maker": "王总",
    "proposal_amount": "800000",
    "contract_amount": "780000",
    "lost_reason": "预算砍掉",
}
REPEAT = {SkipCondition.REPEAT_CUSTOMER}


@pytest.mark.parametrize(
    ("current", "target", "have", "facts", "passed", "via"),
    [
        ("initial_contact", "needs_confirmed", ["need"], set(), (), "gate"),
        ("needs_confirmed", "proposal", ["budget_range", "decision_maker"], set(), (), "gate"),
        ("initial_contact", "proposal", ["need", "budget_range", "decision_maker"], set(),
         ("needs_confirmed",), "gate"),
        ("proposal", "negotiation", ["proposal_amount"], set(), (), "gate"),
        ("negotiation", "won", ["contract_amount"], set(), (), "gate"),
        ("initial_contact", "lost", ["lost_reason"], set(), (), "gate"),
        ("proposal", "lost", ["lost_reason"], set(), (), "gate"),
        ("negotiation", "needs_confirmed", [], set(), (), "back"),
        ("initial_contact", "negotiation", ["proposal_amount"], REPEAT, (),
         "skip:repeat_customer"),
    ],
)
def test_allowed_moves(
    current: str,
    target: str,
    have: list[str],
    facts: set[SkipCondition],
    passed: tuple[str, ...],
    via: str,
) -> None:
    details = {name: FULL[name] for name in have}
    move = plan_move(CONFIG, current, target, details, facts)
    assert (move.from_stage, move.to_stage, move.passed, move.via) == (
        current, target, passed, via
    )


@pytest.mark.parametrize(
    ("current", "target", "have", "facts", "rule", "missing"),
    [
        ("initial_contact", "needs_confirmed", [], set(), "gate", ["need"]),
        ("needs_confirmed", "proposal", ["budget_range"], set(), "gate", ["decision_maker"]),
        ("initial_contact", "proposal", ["budget_range", "decision_maker"], set(), "gate",
         ["need"]),
        ("initial_contact", "won", ["contract_amount"], set(), "gate",
         ["need", "budget_range", "decision_maker", "proposal_amount"]),
        # The skip is for repeat customers only, and waives the stages it skips, not its own.
        ("initial_contact", "negotiation", ["proposal_amount"], set(), "gate",
         ["need", "budget_range", "decision_maker"]),
        ("initial_contact", "negotiation", [], REPEAT, "gate", ["proposal_amount"]),
        ("proposal", "lost", [], set(), "gate", ["lost_reason"]),
        ("won", "negotiation", list(FULL), set(), "closed", []),
        ("lost", "proposal", list(FULL), set(), "closed", []),
        ("proposal", "proposal", list(FULL), set(), "same_stage", []),
    ],
)
def test_refused_moves_name_the_missing_fields(
    current: str,
    target: str,
    have: list[str],
    facts: set[SkipCondition],
    rule: str,
    missing: list[str],
) -> None:
    details = {name: FULL[name] for name in have}
    with pytest.raises(OpportunityRefused) as refused:
        plan_move(CONFIG, current, target, details, facts)
    assert (refused.value.rule, refused.value.missing) == (rule, missing)
    for field in missing:
        assert field in str(refused.value)


def test_an_unknown_stage_is_invalid_input_naming_the_option() -> None:
    with pytest.raises(ValidationFailed) as invalid:
        plan_move(CONFIG, "proposal", "signed", FULL, set())
    assert invalid.value.field == "to"


def test_gates_and_skips_are_configuration() -> None:
    config = OpportunityConfig.model_validate(
        {
            "stages": [
                {"name": "lead_in"},
                {"name": "demo", "requires": ["demo_date"]},
                {"name": "contract", "requires": ["contract_amount"], "outcome": "won"},
                {"name": "dropped", "requires": ["lost_reason"], "outcome": "lost"},
            ],
            "skips": [{"name": "fast", "from": "lead_in", "to": "contract",
                       "when": "repeat_customer"}],
        }
    )
    with pytest.raises(OpportunityRefused) as refused:
        plan_move(config, "lead_in", "contract", {"contract_amount": "1"}, set())
    assert refused.value.missing == ["demo_date"]
    move = plan_move(config, "lead_in", "contract", {"contract_amount": "1"}, REPEAT)
    assert move.via == "skip:fast"
    assert config.rule_set_version != CONFIG.rule_set_version


@pytest.mark.parametrize(
    ("pipeline", "message"),
    [
        ({"stages": [{"name": "a"}, {"name": "a"}, {"name": "w", "outcome": "won"},
                     {"name": "l", "outcome": "lost"}], "skips": []}, "twice"),
        ({"stages": [{"name": "a"}, {"name": "w", "outcome": "won"}], "skips": []}, "lost"),
        ({"skips": [{"name": "x", "from": "proposal", "to": "nowhere",
                     "when": "repeat_customer"}]}, "unknown stage"),
        ({"skips": [{"name": "x", "from": "proposal", "to": "initial_contact",
                     "when": "repeat_customer"}]}, "forward"),
    ],
)
def test_a_broken_pipeline_is_refused_at_load(pipeline: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        OpportunityConfig.model_validate(pipeline)


def test_the_whole_configuration_survives_a_dump_and_a_load() -> None:
    """Processes get the rules as a dump (the claim race's workers do): a skip's
    ``from`` must load back whichever name the dump used."""
    from crmcore import CrmConfig

    config = CrmConfig()
    for by_alias in (False, True):
        dumped = config.model_dump(mode="json", by_alias=by_alias)
        assert CrmConfig.model_validate(dumped) == config
