"""Map a need in the visitor's own words to one of the playbook's use cases.

Marketing gives example sentences per use case (and examples of needs the product
does not serve) in the playbook; a small classifier is built from them when the
playbook loads (milliseconds), so an edit needs no Rasa retrain. Features are TF-IDF
over character n-grams inside words (tolerant of typos and inflections: "scorring",
"qualifying") and over word uni- and bigrams without stop words; scikit-learn's
logistic regression gives each use case (and "a need we do not serve") a probability.
The classifier says how sure it is: `matched` (one clear use case), `unsure` (ask the
visitor to pick among `candidates`), `not_served` (closest to the needs we do not
serve) or `unmatched` (near no example at all).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone

from scipy.sparse import csr_matrix, hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import normalize

#: Pseudo use case for the needs the product does not serve.
NOT_SERVED = "_not_served"

_SPACES = re.compile(r"\s+")
#: Where a message splits into clauses that may each state a different fact.
_CLAUSES = re.compile(r"[,.;!?]|\s-\s|\b(?:and|but|so|because|plus)\b", re.I)


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
    """Probability levels (0..1) that separate sure, unsure and no match."""

    sure: float = 0.5
    margin: float = 0.2
    unsure: float = 0.25
    candidate: float = 0.12
    not_served: float = 0.35
    volunteered: float = 0.7  # a need not asked for is only taken when this sure
    clause: float = 0.55  # a need in one clause of a multi-fact message …
    clause_near: float = 0.4  # … that is also close to one of the examples ("about 300 people" is not)
    near: float = 0.12  # cosine similarity to the nearest example below which nothing is near


def _normalise(text: str) -> str:
    return _SPACES.sub(" ", text.lower()).strip()


class NeedClassifier:
    """Logistic regression over marketing's sentences (see the module docstring)."""

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
        if len(set(labels)) < 2:
            raise ValueError("the need classifier needs example sentences for at least two use cases")
        self._chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True)
        self._words = TfidfVectorizer(
            analyzer="word",
            ngram_range=(1, 2),
            stop_words="english",
            sublinear_tf=True,
            token_pattern=r"[a-z0-9]+",
        )
        self._matrix = self._features(texts, fit=True)
        self._model = LogisticRegression(C=20.0, max_iter=2000).fit(self._matrix, labels)

    def _features(self, texts: Sequence[str], *, fit: bool = False) -> csr_matrix:
        if fit:
            blocks = [self._chars.fit_transform(texts), self._words.fit_transform(texts)]
        else:
            blocks = [self._chars.transform(texts), self._words.transform(texts)]
        # Characters carry typos and inflections, words carry meaning; unit length together.
        return normalize(hstack(blocks).tocsr())

    def _rank(self, text: str) -> tuple[list[tuple[str, float]], float]:
        """Classes by probability, highest first, and the similarity to the nearest example.

        One feature vector serves both: this runs on every message.
        """
        vector = self._features([_normalise(text)])
        probabilities = self._model.predict_proba(vector)[0]
        ranked = sorted(
            ((str(key), float(p)) for key, p in zip(self._model.classes_, probabilities, strict=True)),
            key=lambda item: -item[1],
        )
        nearest = float((self._matrix @ vector.T).max()) if self._matrix.shape[0] else 0.0
        return ranked, nearest

    def scores(self, text: str) -> dict[str, float]:
        """Use case (and NOT_SERVED) -> probability that `text` describes it."""
        return dict(self._rank(text)[0])

    def _clear_use_case(self, ranked: Sequence[tuple[str, float]], level: float) -> str | None:
        """The top use case when it is at least `level` likely and `margin` ahead of the next class."""
        top, top_score = ranked[0]
        runner_up = ranked[1][1] if len(ranked) > 1 else 0.0
        if top != NOT_SERVED and top_score >= level and top_score - runner_up >= self.thresholds.margin:
            return top
        return None

    def classify(self, text: str, *, requested: bool = True) -> NeedMatch:
        """The verdict on `text`; `requested` is False for a need volunteered out of turn (stricter)."""
        limits = self.thresholds
        ranked, nearest = self._rank(text)
        use_cases = [(key, score) for key, score in ranked if key != NOT_SERVED]
        best_score = use_cases[0][1]
        top, top_score = ranked[0]
        runner_up = ranked[1][1] if len(ranked) > 1 else 0.0
        if nearest < limits.near:
            return NeedMatch("unmatched", None, best_score, tuple(key for key, _ in use_cases))
        if not requested:
            clear = self._clear_use_case(ranked, limits.volunteered)
            return (
                NeedMatch("matched", clear, best_score) if clear else NeedMatch("unmatched", None, best_score)
            )
        if (
            top == NOT_SERVED
            and top_score >= limits.not_served
            and top_score - runner_up >= limits.margin / 2
        ):
            return NeedMatch("not_served", None, top_score)
        clear = self._clear_use_case(ranked, limits.sure)
        if clear:
            return NeedMatch("matched", clear, best_score)
        if best_score >= limits.unsure or top == NOT_SERVED:
            near = [key for key, score in use_cases if score >= limits.candidate]
            if len(near) < 2:
                near = [key for key, _ in use_cases[:2]]
            return NeedMatch("unsure", None, best_score, tuple(near[:3]))
        return NeedMatch("unmatched", None, best_score, tuple(key for key, _ in use_cases))

    def classify_message(self, text: str, *, requested: bool = True) -> NeedMatch:
        """Like classify(), but a clear need in one clause of a multi-fact message also counts.

        "VP Sales at an 800-person company in Toronto, we want our reps to stop chasing bad leads":
        the whole message is mostly not about the need; its last clause is.
        """
        whole = self.classify(text, requested=requested)
        if whole.status == "matched":
            return whole
        clauses = [c.strip() for c in _CLAUSES.split(text) if c and len(c.split()) >= 3]
        if len(clauses) > 1:
            best: NeedMatch | None = None
            for clause in clauses:
                ranked, nearest = self._rank(clause)
                clear = self._clear_use_case(ranked, self.thresholds.clause)
                if (
                    clear
                    and nearest >= self.thresholds.clause_near
                    and (best is None or ranked[0][1] > best.confidence)
                ):
                    best = NeedMatch("matched", clear, ranked[0][1])
            if best is not None:
                return best
        return whole


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
