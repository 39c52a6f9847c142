from __future__ import annotations

from pathlib import Path

import pytest

from bot.playbook import PlaybookError, load_playbook, parse_playbook
from bot.settings import PROJECT_ROOT

DEFAULT = (PROJECT_ROOT / "tests" / "fixtures" / "playbook.yml").read_text()


def test_default_playbook_loads_with_a_versioned_hash() -> None:
    playbook = load_playbook(PROJECT_ROOT / "tests" / "fixtures" / "playbook.yml")
    assert playbook.version.startswith("2026-11-24.1+") and len(playbook.version.split("+")[1]) == 8
    assert playbook.icp.company_size.min == 10
    assert playbook.authority_map()["manager"] == "influencer"
    assert "lead_qualification" in playbook.use_case_keywords()


def test_version_changes_with_content() -> None:
    assert (
        parse_playbook(DEFAULT).version
        != parse_playbook(DEFAULT.replace("min_annual: 10000", "min_annual: 12000")).version
    )


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("  budget: 20\n", "  budget: 15\n", "weights: must sum to 100 (got 95)"),
        (
            "industries: [software, fintech,",
            "industries: [software, fintek,",
            "icp.industries[1]: unknown industry 'fintek'",
        ),
        (
            "regions: [north_america, europe]",
            "regions: [north_america, mars]",
            "icp.regions[1]: unknown region 'mars'",
        ),
        ("  intern: none\n", "  cto: none\n", "authority: unknown seniority 'cto'"),
        ("    ideal_min: 50", "    ideal_min: 5", "icp.company_size: ideal_min (5) below min (10)"),
        ("unknown_credit: 0.5", "unknown_credit: 2", "unknown_credit: must be between 0 and 1"),
        ("  qualified: 70", "  qualified: 170", "thresholds.qualified: must be between 0 and 100"),
        ("  budget: nurture\n", "  budget: call_them\n", "next_steps: budget: unknown next step 'call_them'"),
        (
            "  currency: USD\n",
            "  currency: JPY\n",
            "fx_to_currency has no rate for the playbook currency 'JPY'",
        ),
        ("company:\n", "compnay:\n", "compnay: unknown key"),
        ("links:\n", "links_:\n", "links: missing (required)"),
    ],
)
def test_invalid_playbook_names_the_key_and_why(old: str, new: str, message: str) -> None:
    assert old in DEFAULT, old
    with pytest.raises(PlaybookError) as err:
        parse_playbook(DEFAULT.replace(old, new, 1), source="playbook.yml")
    assert message in str(err.value), str(err.value)
    assert str(err.value).startswith("playbook.yml: ")


def test_yaml_syntax_error_has_a_line_number() -> None:
    with pytest.raises(PlaybookError, match=r"line \d+, column \d+: invalid YAML"):
        parse_playbook("version: 1\nicp: [unclosed\n")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(PlaybookError, match="cannot read the file"):
        load_playbook(tmp_path / "nope.yml")


def test_not_a_mapping() -> None:
    with pytest.raises(PlaybookError, match="must be a mapping"):
        parse_playbook("- just\n- a list\n")


def test_double_opt_in_is_on_unless_the_playbook_turns_it_off() -> None:
    without = "\n".join(line for line in DEFAULT.splitlines() if "double_opt_in:" not in line)
    playbook = parse_playbook(without)
    assert playbook.nurture.double_opt_in is True and playbook.warnings() == []
    assert parse_playbook(DEFAULT).warnings()[0].startswith("nurture.double_opt_in is off")
