"""Accessibility and visual checks of the widget in the browser tests.

axe-core comes from node_modules (package.json, installed by `make`), evaluated in the page
through the DevTools protocol: nothing is fetched at run time and the demo site's
Content-Security-Policy (scripts only from 'self') stays as it is.

Screenshots are compared with committed baselines in tests/e2e/baselines/ (a clean CI clone
has them): a pixel counts as changed when a colour channel moved by more than
PIXEL_TOLERANCE, and a state fails when more than BANTER_SCREENSHOT_THRESHOLD of its pixels
changed (default 0.1 %: two runs of the same widget give identical pictures, and a changed
corner radius on the quick replies is about 0.15-0.7 %). A missing baseline is written (first
run); `make update-screenshots` (BANTER_UPDATE_SCREENSHOTS=1) rewrites them all after an
intended change. Every comparison is written to results/screenshots/comparison.json, and the
changed pixels of a state to results/screenshots/diff/<state>.png.
"""

from __future__ import annotations

import io
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from PIL import Image, ImageChops

from bot.settings import PROJECT_ROOT

AXE = PROJECT_ROOT / "node_modules" / "axe-core" / "axe.min.js"
BASELINES = Path(__file__).parent / "baselines"
SHOTS = PROJECT_ROOT / "results" / "screenshots"
PIXEL_TOLERANCE = 48
THRESHOLD = float(os.environ.get("BANTER_SCREENSHOT_THRESHOLD", "0.001"))
UPDATE = os.environ.get("BANTER_UPDATE_SCREENSHOTS") == "1"
WIDGET = [["#banter-panel"], [".bw-launch"], [".bw-teaser"]]


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """axe-core's violations on the widget's visible parts (panel, launcher, teaser)."""
    if not AXE.exists():
        raise AssertionError(f"{AXE} missing: run `make install` (npm ci installs axe-core)")
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8") + "\n;0")
    script = (
        "include => axe.run({include}, {resultTypes: ['violations']}).then(r => r.violations.map(v => "
        "({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(n => n.target.join(' '))})))"
    )
    return list(page.evaluate(script, WIDGET))


def serious(violations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The violations that fail the check: impact serious or critical."""
    return [v for v in violations if v.get("impact") in ("serious", "critical")]


@dataclass
class Comparison:
    """One state's screenshot against its baseline."""

    state: str
    status: str  # same | changed | baseline-written | size-changed
    changed_ratio: float
    changed_pixels: int
    size: tuple[int, int]

    @property
    def failed(self) -> bool:
        """Over the threshold, or of another size than the baseline."""
        return self.status in ("changed", "size-changed")

    def message(self) -> str:
        """What a failing test says, naming the state."""
        baseline = BASELINES / f"{self.state}.png"
        if self.status == "size-changed":
            return f"{self.state}: screenshot size changed from the baseline {baseline}"
        return (
            f"{self.state}: {self.changed_ratio:.2%} of pixels changed (threshold {THRESHOLD:.2%}); "
            f"see results/screenshots/diff/{self.state}.png; if intended: make update-screenshots"
        )


def changed_pixels(before: Image.Image, after: Image.Image) -> tuple[int, Image.Image]:
    """How many pixels differ by more than PIXEL_TOLERANCE in a channel, and a mask of them."""
    delta = ImageChops.difference(before.convert("RGB"), after.convert("RGB"))
    channels = delta.split()
    widest = ImageChops.lighter(ImageChops.lighter(channels[0], channels[1]), channels[2])
    mask = widest.point(lambda value: 255 if value > PIXEL_TOLERANCE else 0)
    return mask.histogram()[255], mask


def compare(state: str, png: bytes) -> Comparison:
    """Save the screenshot to results/screenshots/ and compare it with its baseline."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    (SHOTS / f"{state}.png").write_bytes(png)
    current = Image.open(io.BytesIO(png)).convert("RGB")
    baseline_path = BASELINES / f"{state}.png"
    if UPDATE or not baseline_path.exists():
        BASELINES.mkdir(parents=True, exist_ok=True)
        baseline_path.write_bytes(png)
        result = Comparison(state, "baseline-written", 0.0, 0, current.size)
    else:
        baseline = Image.open(baseline_path).convert("RGB")
        if baseline.size != current.size:
            result = Comparison(state, "size-changed", 1.0, current.width * current.height, current.size)
        else:
            count, mask = changed_pixels(baseline, current)
            ratio = count / (current.width * current.height)
            result = Comparison(state, "changed" if ratio > THRESHOLD else "same", ratio, count, current.size)
            if count:
                (SHOTS / "diff").mkdir(exist_ok=True)
                highlighted = Image.composite(Image.new("RGB", current.size, (255, 0, 80)), current, mask)
                highlighted.save(SHOTS / "diff" / f"{state}.png")
    _record(result)
    return result


def _record(result: Comparison) -> None:
    path = SHOTS / "comparison.json"
    try:
        recorded = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        recorded = {}
    recorded[result.state] = {**asdict(result), "threshold": THRESHOLD}
    path.write_text(json.dumps(recorded, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def record_axe(state: str, violations: list[dict[str, Any]]) -> None:
    """Every state's axe violations (all impacts) to results/axe.json."""
    path = SHOTS.parent / "axe.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        recorded = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        recorded = {}
    recorded[state] = violations
    path.write_text(json.dumps(recorded, indent=2, sort_keys=True) + "\n", encoding="utf-8")
