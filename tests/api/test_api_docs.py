"""The curl examples in docs/api.md work against a live server."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.factories import (
    CrosswalkFactory,
    CrosswalkMappingFactory,
    FindingFactory,
    FrameworkFactory,
    JurisdictionFactory,
    LessonFactory,
    ProvisionFactory,
    TopicFactory,
)

DOC = Path(__file__).resolve().parents[2] / "docs" / "api.md"


def shell_blocks():
    return re.findall(r"```sh\n(.*?)```", DOC.read_text(), flags=re.S)


def run(script, live_server, folder):
    """Run a shell block of docs/api.md with ``API`` pointing at the live server, and with this
    Python first on the PATH (the OSCAL example reads with compliance-trestle, installed here)."""
    assert script.startswith("API=http://127.0.0.1:8000/api/v1\n")
    script = script.replace("API=http://127.0.0.1:8000/api/v1", f"API={live_server.url}/api/v1", 1)
    path = f"{Path(sys.executable).parent}:{os.environ['PATH']}"
    result = subprocess.run(  # noqa: S603 (the script is docs/api.md's own)
        ["/bin/bash", "-euo", "pipefail", "-c", script],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PATH": path},
    )
    assert result.returncode == 0, result.stderr
    return result


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_curl_examples_in_the_api_docs_run_against_a_live_server(live_server, indexes, tmp_path):
    privacy = TopicFactory(slug="privacy-and-security", name="Privacy & security")
    singapore = JurisdictionFactory(code="SG")
    framework = FrameworkFactory(parent=indexes["framework"], title="Model AI Governance Framework")
    ProvisionFactory(framework=framework, code="3", title="Operations management", level=1)
    ProvisionFactory(framework=framework, code="3.1", title="Data", level=2)
    FindingFactory(
        parent=indexes["finding"],
        title="Multilingual safety evaluation",
        topics=[privacy],
        jurisdictions=[singapore],
    )
    LessonFactory(parent=indexes["lesson"])
    oscal, main = shell_blocks()  # in the order of docs/api.md
    result = run(main, live_server, tmp_path)
    assert "Multilingual safety evaluation" in result.stdout
    assert re.search(r"\b304\n", result.stdout)
    assert '"parameters":{"published_after"' in result.stdout
    assert (tmp_path / "records.jsonl").read_text().count("\n") == 3
    assert (tmp_path / "findings.csv").read_text().startswith("uuid,kind,title")

    iso = FrameworkFactory(parent=indexes["framework"], title="ISO/IEC 42001", sharing_level="TLP:CLEAR")
    clause = ProvisionFactory(framework=iso, code="A.2.2", title="AI policy", level=1)
    crosswalk = CrosswalkFactory(source_framework=framework, target_framework=iso)
    CrosswalkMappingFactory(
        crosswalk=crosswalk, source_provision=framework.provisions.get(code="3.1"), target_provision=clause
    )
    result = run(oscal, live_server, tmp_path)
    assert "Model AI Governance Framework ['_3']" in result.stdout
    assert "('_3.1', 'equivalent-to', 'A.2.2')" in result.stdout
