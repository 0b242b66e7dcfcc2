"""CI must run exactly the test command a new user reads in the README."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_ci_runs_the_readme_test_command_word_for_word():
    readme = (ROOT / "README.md").read_text()
    block = readme.split("<!-- test-command -->")[1].split("<!-- /test-command -->")[0]
    command = [line for line in block.splitlines() if line.strip() and not line.startswith("```")]
    assert len(command) == 1
    assert command[0].strip() in (ROOT / ".ci" / "run").read_text().splitlines()
