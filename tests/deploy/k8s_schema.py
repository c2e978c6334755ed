"""Validation against the Kubernetes JSON schemas bundled in kubernetes-validate (pinned in
requirements.lock), in strict mode: a misspelt field is an error, not ignored."""
from __future__ import annotations

from pathlib import Path

from kubernetes_validate import utils

from tests.deploy.manifests import documents

# The newest Kubernetes version the pinned kubernetes-validate carries schemas for.
KUBERNETES_VERSION = "1.28.0"


def problems(path: Path) -> list[str]:
    found = []
    for document in documents(path):
        name = f"{path.name}: {document.get('kind')}/{document.get('metadata', {}).get('name')}"
        try:
            utils.validate(document, KUBERNETES_VERSION, strict=True)
        except utils.ValidationError as error:
            where = ".".join(map(str, error.path)) or "(top)"
            found.append(f"{name}: {where}: {error.message}")
        except utils.SchemaNotFoundError as error:
            # An unknown kind or API version is a mistake here: every object is core Kubernetes.
            found.append(f"{name}: {error.message}")
    return found
