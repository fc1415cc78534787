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
