"""Simulated listeners whose taste moves: who hears what when, and what is relevant when.

Styles are a corpus's four packages. Each seed permutes the packages into four
roles (the first two are the "old" taste, the last two the "new") and picks the
half of each package's tracks the listener has heard; listens are drawn from
the heard tracks of the styles liked that day, :data:`LISTENS_PER_DAY` a day;
a noisy listener's random listens are drawn from the heard tracks of every style
(drawn from every track, they would leave a corpus of a hundred tracks almost
without candidates after 200 random listens).
Every track never listened to is a candidate; on a given day the relevant ones
are those of the styles the listener draws at least :data:`RELEVANT_SHARE` of
that day's non-random listens from.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable

import numpy as np

DAY = 86400.0
NOW = 1_750_000_000.0  # the end of every listener's last day
LISTENS_PER_DAY = 3
HEARD_SHARE = 0.5  # of each package's tracks, the ones the listener draws listens from
RELEVANT_SHARE = 0.25
N_STYLES = 4

Shares = Callable[[int], np.ndarray]  # day -> probability of each role, summing to 1


@dataclasses.dataclass(frozen=True)
class Kind:
    """A kind of listener: how long the history is and how taste moves across it."""

    name: str
    days: int
    shares: Shares
    noise: float = 0.0  # share of listens drawn at random from the heard tracks of every style
    about: str = ""


def _switch(day: int) -> np.ndarray:
    return np.array([0.0, 0.0, 0.5, 0.5] if day >= 180 else [0.5, 0.5, 0.0, 0.0])


def _multi(day: int) -> np.ndarray:
    return np.array([1.0, 1.0, 1.0, 0.0]) / 3


def _gradual(day: int) -> np.ndarray:
    new = float(np.clip((day - 90) / 149, 0.0, 1.0))  # 0 on day 90, 1 on the last day
    return np.array([1 - new, 1 - new, new, new]) / 2


KINDS = {
    k.name: k
    for k in (
        Kind("switch", 225, _switch, about="two styles for 180 days, the other two for 45"),
        Kind("multi", 365, _multi, about="three of the four styles, steadily, for a year"),
        Kind("gradual", 240, _gradual, about="the new pair's share grows 0 to 1 over 150 days"),
        Kind("noisy", 225, _switch, 0.3, about="switch, plus 30% of listens at random"),
    )
}


@dataclasses.dataclass(frozen=True)
class Listen:
    """One listen: the corpus index of the track, when, and whether it was a random draw."""

    track: int
    at: float
    random: bool


@dataclasses.dataclass(frozen=True, eq=False)
class Listener:
    """One simulated listener on one corpus: its listens, and relevance per day."""

    kind: Kind
    seed: int
    labels: np.ndarray  # style of each corpus track
    roles: np.ndarray  # roles[i] = the style playing role i
    heard: dict[int, np.ndarray]  # style -> the tracks listens are drawn from
    listens: list[Listen]

    @property
    def days(self) -> int:
        """Length of the history in days."""
        return self.kind.days

    def day_end(self, day: int) -> float:
        """The time day ``day`` (0-based) ends; the last day ends at :data:`NOW`."""
        return NOW - (self.days - 1 - day) * DAY

    def shares(self, day: int) -> np.ndarray:
        """Probability of each style in day ``day``'s non-random listens."""
        out = np.zeros(N_STYLES)
        out[self.roles] = self.kind.shares(day)
        return out

    def relevant_styles(self, day: int) -> np.ndarray:
        """The styles liked on day ``day``."""
        return np.flatnonzero(self.shares(day) >= RELEVANT_SHARE)

    def listens_until(self, at: float) -> list[Listen]:
        """The listens up to time ``at`` (listens are in time order)."""
        return self.listens[: int(np.searchsorted(self.times, at, side="right"))]

    @functools.cached_property
    def times(self) -> np.ndarray:
        """The time of each listen."""
        return np.array([x.at for x in self.listens])

    @functools.cached_property
    def tracks(self) -> np.ndarray:
        """The corpus index of each listen's track."""
        return np.array([x.track for x in self.listens], dtype=np.int64)

    def candidates(self, day: int) -> np.ndarray:
        """Corpus indices of the tracks never listened to by the end of day ``day``."""
        n = int(np.searchsorted(self.times, self.day_end(day), side="right"))
        return np.setdiff1d(np.arange(len(self.labels)), self.tracks[:n])

    def relevant(self, day: int, candidates: np.ndarray) -> np.ndarray:
        """Bool per candidate: of a style liked on day ``day``."""
        return np.isin(self.labels[candidates], self.relevant_styles(day))


def simulate(kind: Kind, labels: np.ndarray, seed: int) -> Listener:
    """The listener of ``kind`` on a corpus whose tracks have styles ``labels``, seeded."""
    rng = np.random.default_rng(seed)
    roles = rng.permutation(N_STYLES)
    heard = {}
    for style in range(N_STYLES):
        members = rng.permutation(np.flatnonzero(labels == style))
        heard[style] = np.sort(members[: max(2, int(HEARD_SHARE * len(members)))])
    everything = np.sort(np.concatenate(list(heard.values())))
    listens = []
    for day in range(kind.days):
        start = NOW - (kind.days - day) * DAY
        probs = np.zeros(N_STYLES)
        probs[roles] = kind.shares(day)
        for at in np.sort(start + rng.uniform(1.0, DAY - 1.0, LISTENS_PER_DAY)):
            if rng.random() < kind.noise:
                listens.append(Listen(int(rng.choice(everything)), float(at), True))
            else:
                style = int(rng.choice(N_STYLES, p=probs))
                listens.append(Listen(int(rng.choice(heard[style])), float(at), False))
    return Listener(kind, seed, labels, roles, heard, listens)
