"""docs/config.md documents every key of the schema (and no key that does not exist)."""

import re
from pathlib import Path

from pydantic import BaseModel

from accel.config import AccelConfig

DOC = Path(__file__).resolve().parents[2] / "docs" / "config.md"


def schema_keys(model=AccelConfig, prefix=""):
    for name, field in model.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            if annotation.model_fields:
                yield from schema_keys(annotation, f"{prefix}{name}.")
            else:
                yield f"{prefix}{name}"
        else:
            yield f"{prefix}{name}"


def test_every_key_is_documented_and_every_documented_key_exists():
    documented = set(re.findall(r"^\| `([A-Za-z_.]+)` \|", DOC.read_text(), flags=re.M))
    assert documented == set(schema_keys())


FLOW_DOC = Path(__file__).resolve().parents[2] / "docs" / "flow.md"


def test_flow_doc_tables_are_the_steps_own_declarations():
    """The step table (reads, config keys, PDK fields, operations) and the operation table of docs/flow.md
    are generated from the code: `python -c "from accel.flow.build import step_table; print(step_table())"`."""
    from accel.flow.build import operation_table, step_table

    text = FLOW_DOC.read_text()
    assert step_table() in text
    assert operation_table() in text


def test_every_step_config_key_exists():
    from accel.flow.engine.step import config_value
    from accel.flow.steps import ALL_STEPS

    config = AccelConfig()
    for step in ALL_STEPS:
        for key in step.config_keys:
            config_value(config, key)            # raises on a key that does not exist
