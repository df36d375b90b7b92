"""docs/config-reference.md is generated from the models and must be kept up to date."""

from __future__ import annotations

from pathlib import Path

from zeroclaw.config.reference import render_reference
from zeroclaw.config.schema import sections

DOC = Path(__file__).resolve().parents[2] / "docs" / "config-reference.md"


def test_reference_doc_is_up_to_date_with_the_models() -> None:
    assert DOC.read_text(encoding="utf-8") == render_reference(), (
        "docs/config-reference.md is out of date; regenerate every generated doc with "
        "`python -m zeroclaw.reference`"
    )


def test_reference_lists_every_section_and_key() -> None:
    text = render_reference()
    for section in sections():
        if section.path:
            assert f"\n### [{section.title}]\n" in text
        for key in section.keys:
            type_cell = key.type_text.replace("|", "\\|")  # as a Markdown table cell
            assert f"\n| `{key.name}` | {type_cell} |" in text


def test_reference_is_the_same_on_every_machine(isolated_home: Path) -> None:
    # The data dir default depends on the platform: the reference must describe it, not
    # print the value of the machine it was generated on.
    assert str(isolated_home) not in render_reference()


def test_reference_error_examples_are_real_messages() -> None:
    text = render_reference()
    assert '`agent.max_tool_iterations`: expected integer, got "lots"' in text
    assert "`plugins.overrides.big-plugin.limits.memory_mb`: expected at most 64" in text
