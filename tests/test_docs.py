"""The documentation site builds with ``mkdocs build --strict`` (a broken link, a missing page or
an API object that no longer exists fails), and its API pages document the public entry points."""

import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("mkdocs", reason="the docs tools come with the test-full extra")
pytest.importorskip("mkdocstrings_handlers.python", reason="the docs tools come with the test-full extra")

ROOT = Path(__file__).resolve().parents[1]


def test_the_site_builds_strictly_and_documents_the_api(tmp_path):
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "build_docs.py"), "--out", str(tmp_path)],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    pages = {p.parent.name: p.read_text() for p in tmp_path.glob("api/*/index.html")}
    assert "cnnlab.reference.build" in pages["reference"] and "framework_of" in pages["reference"]
    assert "confusion_matrix" in pages["metrics"] and "classification_report" in pages["metrics"]
    assert "cnnlab.bench.grading.grade" in pages["grading"]
    assert "ModelRecord" in pages["records"] and "CompareRecord" in pages["records"]
    # the README's reference sections moved into pages of their own
    assert (tmp_path / "grading" / "index.html").is_file() and (tmp_path / "architecture" / "index.html").is_file()
