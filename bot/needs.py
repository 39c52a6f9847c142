"""Map a need in the visitor's own words to one of the playbook's use cases.

Marketing gives example sentences per use case (and examples of needs the product
does not serve) in the playbook; a small classifier is built from them when the
playbook loads, so an edit needs no Rasa retrain. Features are TF-IDF over character
n-grams inside words (tolerant of typos and inflections: "scorring", "qualifying")
and over word uni- and bigrams without stop words; a use case's score is the mean
cosine similarity of the message to its two nearest examples. The classifier says
how sure it is: `matched` (one clear use case), `unsure` (ask the visitor to pick
among `candidates`), `not_served` (nearest to the needs we do not serve) or
`unmatched` (near nothing).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone

import numpy as np
from scipy.sparse import hstack
from sklearn.feature_extraction.text import TfidfVectorizer

#: Pseudo use case for the needs the product does not serve.
NOT_SERVED = "_not_served"

_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class NeedMatch:
    """The classifier's verdict on one message."""

    status: str  # matched | unsure | not_served | unmatched
    use_case: str | None
    confidence: float
    candidates: tuple[str, ...] = ()

    def value(self) -> dict[str, object]:
        """The normalised need value stored in the answer slot."""
        value: dict[str, object] = {
            "use_case": self.use_case,
            "status": self.status,
            "confidence": round(self.confidence, 3),
        }
        if self.candidates:
            value["candidates"] = list(self.candidates)
        return value


@dataclass(frozen=True)
class Thresholds:
    """Similarity levels (0..1) that separate sure, unsure and no match."""

    sure: float = 0.22
    margin: float = 0.07
    unsure: float = 0.13
    not_served: float = 0.2
    volunteered: float = 0.4  # a need not asked for is only taken when this sure


def _normalise(text: str) -> str:
    return _SPACES.sub(" ", text.lower()).strip()


class NeedClassifier:
    """Nearest-example classifier over marketing's sentences (see the module docstring)."""

    def __init__(
        self,
        examples: Mapping[str, Sequence[str]],
        not_served: Sequence[str] = (),
        thresholds: Thresholds | None = None,
    ) -> None:
        self.thresholds = thresholds or Thresholds()
        self.use_cases = tuple(key for key, sentences in examples.items() if sentences)
        texts: list[str] = []
        labels: list[str] = []
        for key in self.use_cases:
            for sentence in examples[key]:
                texts.append(_normalise(sentence))
                labels.append(key)
        for sentence in not_served:
            texts.append(_normalise(sentence))
            labels.append(NOT_SERVED)
        if not texts:
            raise ValueError("the need classifier needs at least one example sentence")
        self._chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True)
        self._words = TfidfVectorizer(
            analyzer="word",
            ngram_range=(1, 2),
            stop_words="english",
            sublinear_tf=True,
            token_pattern=r"[a-z0-9]+",
        )
        self._labels = np.array(labels)
        self._matrix = self._features(texts, fit=True)

    def _features(self, texts: Sequence[str], *, fit: bool = False):  # type: ignore[no-untyped-def]
        if fit:
            chars = self._chars.fit_transform(texts)
            try:
                words = self._words.fit_transform(texts)
            except ValueError:  # only stop words in every example
                words = None
        else:
            chars = self._chars.transform(texts)
            words = self._words.transform(texts) if hasattr(self._words, "vocabulary_") else None
        # Characters carry typos and inflections, words carry meaning; equal say, unit length.
        blocks = [chars] if words is None else [chars, words]
        matrix = hstack(blocks).tocsr()
        norms = np.sqrt(matrix.multiply(matrix).sum(axis=1)).A.ravel()
        norms[norms == 0] = 1.0
        return matrix.multiply(1 / norms[:, None]).tocsr()

    def scores(self, text: str) -> dict[str, float]:
        """Use case (and NOT_SERVED) -> similarity of `text` to its two nearest examples."""
        vector = self._features([_normalise(text)])
        similarities = (self._matrix @ vector.T).toarray().ravel()
        result: dict[str, float] = {}
        for key in (*self.use_cases, NOT_SERVED):
            mine = np.sort(similarities[self._labels == key])[::-1]
            if mine.size:
                result[key] = float(mine[:2].mean())
        return result

    def classify(self, text: str, *, requested: bool = True) -> NeedMatch:
        """The verdict on `text`; `requested` is False for a need volunteered out of turn (stricter)."""
        scores = self.scores(text)
        ranked = sorted(scores.items(), key=lambda item: -item[1])
        use_cases = [(key, score) for key, score in ranked if key != NOT_SERVED]
        if not use_cases:
            return NeedMatch("unmatched", None, 0.0)
        best, best_score = use_cases[0]
        second = use_cases[1][1] if len(use_cases) > 1 else 0.0
        not_served = scores.get(NOT_SERVED, 0.0)
        limits = self.thresholds
        if not requested:
            if best_score >= limits.volunteered and best_score - max(second, not_served) >= limits.margin:
                return NeedMatch("matched", best, best_score)
            return NeedMatch("unmatched", None, best_score)
        if not_served >= limits.not_served and not_served - best_score >= limits.margin:
            return NeedMatch("not_served", None, not_served)
        if best_score >= limits.sure and best_score - max(second, not_served) >= limits.margin:
            return NeedMatch("matched", best, best_score)
        if best_score >= limits.unsure:
            near = [key for key, score in use_cases if score >= limits.unsure and best_score - score < 0.12]
            if len(near) < 2:
                near = [key for key, _ in use_cases[:2]]
            return NeedMatch("unsure", None, best_score, tuple(near[:3]))
        return NeedMatch("unmatched", None, best_score, tuple(key for key, _ in use_cases))


#: The button that says none of the offered use cases fits.
SOMETHING_ELSE = "Something else"


def resolve_need_choice(
    text: str, pending: Mapping[str, object], classifier: NeedClassifier, labels: Mapping[str, str]
) -> dict[str, object]:
    """The need slot after the visitor answered "is it closest to one of these?".

    A use case's label (the button) or a clear description picks it; anything else keeps
    the visitor's first words as a need we could not match. Never asks a third time.
    """
    said = _normalise(text)
    raw = str(pending.get("raw") or text)
    chosen: str | None = None
    for key, label in labels.items():
        if said in (_normalise(label), key.replace("_", " ")):
            chosen = key
    if chosen is None and said != _normalise(SOMETHING_ELSE):
        verdict = classifier.classify(text)
        chosen = verdict.use_case if verdict.status == "matched" else None
    value: dict[str, object] = (
        {"use_case": chosen, "status": "matched", "confidence": 1.0, "chosen": True}
        if chosen
        else {"use_case": None, "status": "unmatched", "chosen": True}
    )
    return {
        "field": "need",
        "raw": raw,
        "value": value,
        "declined": False,
        "error": None,
        "at": str(pending.get("at") or datetime.now(timezone.utc).isoformat(timespec="microseconds")),
    }


@functools.lru_cache(maxsize=8)
def _cached(examples: tuple[tuple[str, tuple[str, ...]], ...], not_served: tuple[str, ...]) -> NeedClassifier:
    return NeedClassifier(dict(examples), not_served)


def classifier_for(examples: Mapping[str, Sequence[str]], not_served: Sequence[str]) -> NeedClassifier:
    """The classifier for these example sentences, built once per distinct set (playbook reloads)."""
    key = tuple((name, tuple(sentences)) for name, sentences in examples.items())
    return _cached(key, tuple(not_served))


__all__ = [
    "NOT_SERVED",
    "SOMETHING_ELSE",
    "NeedClassifier",
    "NeedMatch",
    "Thresholds",
    "classifier_for",
    "resolve_need_choice",
]
