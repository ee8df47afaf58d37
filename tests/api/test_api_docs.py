"""The curl examples in docs/api.md work against a live server."""

import re
import subprocess
from pathlib import Path

import pytest

from tests.factories import (
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
    (script,) = shell_blocks()
    assert script.startswith("API=http://127.0.0.1:8000/api/v1\n")
    script = script.replace("API=http://127.0.0.1:8000/api/v1", f"API={live_server.url}/api/v1", 1)
    result = subprocess.run(  # noqa: S603 (the script is docs/api.md's own)
        ["/bin/bash", "-euo", "pipefail", "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert "Multilingual safety evaluation" in result.stdout
    assert re.search(r"\b304\n", result.stdout)
    assert '"parameters":{"published_after"' in result.stdout
    assert (tmp_path / "records.jsonl").read_text().count("\n") == 3
    assert (tmp_path / "findings.csv").read_text().startswith("uuid,kind,title")
