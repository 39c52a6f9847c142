"""Write the brief a blind evaluation writer reads, and nothing else (default /tmp/brief).

A new held-out slice (tests/nlu_eval/intents_vN.yml, values_vN.yml and
tests/conversations/visitors_vN.yml) is written by someone who has read neither the
training data nor the parsers' tests. This gathers what they may read: the visitor file
format, how answers are interpreted, the intents in words, the value shapes (with a count
and an example of each shape used by earlier slices), and the fixture playbook without its
use-case examples, keywords and not-served needs (which would leak the need classifier's
training sentences). Usage: scripts/make_eval_brief.py [--out /tmp/brief]
"""

from __future__ import annotations

import argparse
import collections
import shutil
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.profile import SENIORITIES  # noqa: E402
from bot.vocab import INDUSTRIES  # noqa: E402

INTENTS = """# Intents (what kind of message it is)

- greet: hello, hi, good morning.
- goodbye: leaving the chat.
- thanks: thanking the assistant.
- affirm: yes / that's right / sounds good (a yes to what the bot just asked or read back).
- deny: no / that's not right (a no to a yes/no question or read-back).
- inform: an answer giving facts about themselves, their company, budget, needs, timeline, contact details.
- ask_why: asking why the bot wants to know.
- decline: refusing to answer the current question.
- dont_know: not knowing the answer.
- start_over: wanting to restart the conversation from scratch.
- human_handoff: asking for a person, sales, a rep, a human, or a demo/call with someone.
- bot_challenge: asking whether they are talking to a bot/AI/real person.
- faq_pricing, faq_integrations, faq_security, faq_product, faq_trial: questions about those topics.
- chitchat: small talk unrelated to buying.
- out_of_scope: requests the assistant cannot help with.
- confirm_slot: confirming an offered meeting time; other_times: asking for other times;
  decline_meeting: not wanting a meeting now; request_callback: asking to be called back or emailed;
  suggest_time: proposing their own meeting time; set_timezone: telling their time zone.
- choose_slot: sent by buttons only: leave it out of a slice.
"""


def value_shapes() -> str:
    """Every shape of expected value earlier slices used, with a count and one example each."""
    shapes: dict[str, collections.Counter[Any]] = collections.defaultdict(collections.Counter)
    example: dict[Any, Any] = {}
    for path in sorted((ROOT / "tests" / "nlu_eval").glob("values*.yml")):
        for case in yaml.safe_load(path.read_text(encoding="utf-8"))["cases"]:
            for field, value in (case.get("expect") or {}).items():
                key = (field, tuple(sorted(value)) if isinstance(value, dict) else repr(value))
                shapes[field][key] += 1
                example.setdefault(key, (case["text"], case.get("requested"), value))
    lines = ["# Value shapes used so far (count, keys, one example)", ""]
    for field, counter in shapes.items():
        lines.append(f"## {field}")
        lines += [f"- {n} x {key[1]}: {example[key]}" for key, n in counter.most_common() if n >= 2]
        lines.append("")
    lines += [
        "Industry keys: " + " ".join(INDUSTRIES),
        "Seniorities: " + " ".join(SENIORITIES),
        "Budget period: month | quarter | week | year | one_off (a single sum); status amount | no_budget | not_sure",
        "Timeline status: date | no_rush | not_sure; need status: matched | not_served | researching | unmatched",
        "`expect` is a subset check; `declined` (a plain string) when the visitor refused to answer.",
    ]
    return "\n".join(lines) + "\n"


def playbook_for_eval() -> str:
    """The fixture playbook without the need classifier's own sentences."""
    data = yaml.safe_load((ROOT / "tests" / "fixtures" / "playbook.yml").read_text(encoding="utf-8"))
    for case in data["use_cases"].values():
        case.pop("keywords", None)
        case.pop("examples", None)
    data.pop("needs_not_served", None)
    data.pop("questions", None)  # the wording is not what is measured
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, default=Path("/tmp/brief"))
    args = parser.parse_args()
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "tests" / "conversations" / "FORMAT.md", out / "FORMAT.md")
    shutil.copy(ROOT / "docs" / "interpretation.md", out / "interpretation.md")
    (out / "intents.md").write_text(INTENTS, encoding="utf-8")
    (out / "value_shapes.md").write_text(value_shapes(), encoding="utf-8")
    (out / "playbook_for_eval.yml").write_text(playbook_for_eval(), encoding="utf-8")
    print(f"brief written to {out}: {', '.join(sorted(p.name for p in out.iterdir()))}")
    print("give the writer only this folder; afterwards remove overlaps with training before any run")
    return 0


if __name__ == "__main__":
    sys.exit(main())
