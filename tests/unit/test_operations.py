"""The named layout operations: one config switch each, a metric each, docs and PDK conditions that agree."""

from accel.config import RepairsConfig, load_config
from accel.flow.pdk import OSU018
from accel.flow.qflow.repairs import OPERATIONS
from accel.flow.steps import ALL_STEPS


def test_every_operation_has_its_switch_and_every_switch_an_operation():
    assert [op.name for op in OPERATIONS] == list(RepairsConfig.model_fields)
    assert len({op.metric for op in OPERATIONS}) == len(OPERATIONS)


def test_each_operation_belongs_to_one_step_that_declares_it():
    for op in OPERATIONS:
        owners = [step for step in ALL_STEPS if op in step.operations]
        assert len(owners) == 1 and owners[0].name == op.step, op.name


def test_the_documented_pdks_match_the_conditions():
    for op in OPERATIONS:
        assert op.applies(OSU018) == ("osu018" in op.pdks), op.name


def test_a_switched_off_operation_changes_only_its_steps_key():
    on, off = load_config("tiny"), load_config("tiny", ["flow.repairs.pin_vias=false"])
    for op in OPERATIONS:
        assert op.runs(on, OSU018) == op.applies(OSU018)
        assert op.key(on, OSU018) != op.key(off, OSU018) if op.name == "pin_vias" else \
            op.key(on, OSU018) == op.key(off, OSU018)
