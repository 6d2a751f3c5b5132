"""``score_pair`` for whole populations: blocks of the score matrix with numpy and scipy.sparse.

Every term of the score is a product of two profile vectors, so a block of rows is a few matrix
products: tags (sparse), shared language (sparse), weekly overlap (dense over the elementary segments
between all availability breakpoints, weighted by their length, so overlaps are exact minutes) and choice
bonuses (sparse). Blocks keep memory at ``BLOCK_ROWS x columns`` whatever the population.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import cast

import numpy as np
import scipy.sparse as sp

from .options import MatchOptions, Weights
from .profiles import MINUTES_PER_WEEK, Interval, Participant, weekly_utc_intervals
from .scoring import SCORE_DECIMALS

BLOCK_ROWS = 1024
DENSE_FEATURES = 4_000_000


@dataclass(frozen=True)
class Block:
    rows: np.ndarray
    scores: np.ndarray
    feasible: np.ndarray


@dataclass(frozen=True)
class Candidates:
    """The best feasible columns of each row, sorted by row, then score descending, then column."""

    rows: np.ndarray
    cols: np.ndarray
    scores: np.ndarray


class ScoreModel:
    """Scores of ``rows[i]`` (as mentee) with ``cols[j]`` (as mentor).

    With ``symmetric=True`` rows and cols are the same people and the score is ``score_peers``.
    """

    def __init__(
        self,
        rows: Sequence[Participant],
        cols: Sequence[Participant],
        weights: Weights,
        options: MatchOptions,
        *,
        symmetric: bool = False,
    ):
        self.row_people, self.col_people = list(rows), list(cols)
        self.weights, self.options, self.symmetric = weights, options, symmetric
        self.n_rows, self.n_cols = len(self.row_people), len(self.col_people)

    # -- features -------------------------------------------------------------------------------

    @cached_property
    def _tag_features(self) -> tuple[sp.csr_matrix, sp.csr_matrix | np.ndarray]:
        people = self.row_people + self.col_people
        vocab = {
            t: k for k, t in enumerate(sorted({t for p in people for t in (*p.goals, *p.interests, *p.expertise)}))
        }
        size = len(vocab)
        w = self.weights

        def mentee_vector(p: Participant) -> dict[int, float]:
            vec = {vocab[t]: w.goal_expertise for t in p.goals}
            vec.update({vocab[t]: w.interest_expertise for t in p.interests - p.goals})
            vec.update({size + vocab[t]: w.shared_interest for t in p.interests})
            return vec

        def mentor_vector(p: Participant) -> dict[int, float]:
            vec = {vocab[t]: 1.0 for t in p.expertise}
            vec.update({size + vocab[t]: 1.0 for t in p.interests})
            return vec

        if self.symmetric:  # u_i.v_j + u_j.v_i = [u_i, v_i].[v_j, u_j]
            left = _csr([_concat(mentee_vector(p), mentor_vector(p), 2 * size) for p in self.row_people], 4 * size)
            right = _csr([_concat(mentor_vector(p), mentee_vector(p), 2 * size) for p in self.col_people], 4 * size)
            return left * 0.5, _right_side(right)
        left = _csr([mentee_vector(p) for p in self.row_people], 2 * size)
        right = _csr([mentor_vector(p) for p in self.col_people], 2 * size)
        return left, _right_side(right)

    @cached_property
    def _language_features(self) -> tuple[sp.csr_matrix, sp.csr_matrix | np.ndarray]:
        langs = {
            x: k for k, x in enumerate(sorted({x for p in self.row_people + self.col_people for x in p.languages}))
        }
        left = _csr([dict.fromkeys((langs[x] for x in p.languages), 1.0) for p in self.row_people], len(langs))
        right = _csr([dict.fromkeys((langs[x] for x in p.languages), 1.0) for p in self.col_people], len(langs))
        return left, _right_side(right)

    @cached_property
    def _segments(self) -> tuple[np.ndarray, list[list[tuple[int, int]]], np.ndarray]:
        """Segment lengths, each row's segment ranges, and the (cols x segments) 0/1 availability."""
        week = self.options.week_of
        row_iv = [weekly_utc_intervals(p, week) for p in self.row_people]
        col_iv = [weekly_utc_intervals(p, week) for p in self.col_people]
        points = {0, MINUTES_PER_WEEK}
        for ivs in row_iv + col_iv:
            for start, end in ivs:
                points.add(start)
                points.add(end)
        bounds = sorted(points)
        lengths = np.diff(bounds).astype(np.float32)

        def ranges(ivs: tuple[Interval, ...]) -> list[tuple[int, int]]:
            return [(bisect_left(bounds, s), bisect_left(bounds, e)) for s, e in ivs]

        col_matrix = np.zeros((self.n_cols, len(lengths)), dtype=np.float32)
        for j, ivs in enumerate(col_iv):
            for lo, hi in ranges(ivs):
                col_matrix[j, lo:hi] = 1.0
        return lengths, [ranges(ivs) for ivs in row_iv], col_matrix

    @cached_property
    def _choices(self) -> sp.csr_matrix:
        w = self.weights
        col_index = {p.id: j for j, p in enumerate(self.col_people)}
        row_index = {p.id: i for i, p in enumerate(self.row_people)}
        entries: list[tuple[int, int, float]] = []
        for i, p in enumerate(self.row_people):
            for rank, pid in enumerate(p.preferences):
                if pid in col_index:
                    entries.append((i, col_index[pid], w.choice_bonus(w.mentee_choice, rank)))
        for j, p in enumerate(self.col_people):
            for rank, pid in enumerate(p.preferences):
                if pid in row_index:
                    entries.append((row_index[pid], j, w.choice_bonus(w.mentor_choice, rank)))
        rows, cols, vals = (list(x) for x in zip(*entries, strict=True)) if entries else ([], [], [])
        matrix = sp.coo_matrix((vals, (rows, cols)), shape=(self.n_rows, self.n_cols)).tocsr()
        if self.symmetric:
            matrix = ((matrix + matrix.T) * 0.5).tocsr()
        return matrix

    @cached_property
    def _forbidden(self) -> dict[int, list[int]]:
        """Row -> columns it may never be paired with (oneself, excluded pairs)."""
        col_index = {p.id: j for j, p in enumerate(self.col_people)}
        row_index = {p.id: i for i, p in enumerate(self.row_people)}
        out: dict[int, list[int]] = {}
        for i, p in enumerate(self.row_people):
            if p.id in col_index:
                out.setdefault(i, []).append(col_index[p.id])
        for a, b in self.options.excluded_pairs:
            pairs = [(a, b), (b, a)] if self.symmetric else [(a, b)]
            for x, y in pairs:
                if x in row_index and y in col_index:
                    out.setdefault(row_index[x], []).append(col_index[y])
        return out

    # -- blocks ---------------------------------------------------------------------------------

    def parts(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Raw terms for ``rows``: (scores, shared language, overlap minutes, forbidden).

        Same arithmetic as ``score_pair``, done in place to keep big temporaries out of the loop.
        """
        rows = np.asarray(rows, dtype=np.int64)
        w = self.weights
        tags_left, tags_right = self._tag_features
        scores = _dense(tags_left[rows] @ tags_right)
        lang_left, lang_right = self._language_features
        shared = _dense(lang_left[rows] @ lang_right) > 0
        np.add(scores, w.shared_language, out=scores, where=shared)
        lengths, row_ranges, col_matrix = self._segments
        left = np.zeros((len(rows), len(lengths)), dtype=np.float32)
        for k, i in enumerate(rows):
            for lo, hi in row_ranges[i]:
                left[k, lo:hi] = lengths[lo:hi]
        minutes = (left @ col_matrix.T).astype(np.float64)
        term = minutes / 60
        np.minimum(term, w.overlap_cap_hours, out=term)
        term *= w.overlap_per_hour
        scores += term
        choices = self._choices[rows].tocoo()
        scores[choices.row, choices.col] += choices.data
        forbidden = np.zeros(scores.shape, dtype=bool)
        for k, i in enumerate(rows):
            cols = self._forbidden.get(int(i))
            if cols:
                forbidden[k, cols] = True
        return np.round(scores, SCORE_DECIMALS, out=scores), shared, minutes, forbidden

    def block(self, rows: np.ndarray) -> Block:
        scores, shared, minutes, forbidden = self.parts(rows)
        feasible = ~forbidden
        if self.options.require_shared_language:
            feasible &= shared
        if self.options.min_overlap_hours > 0:
            feasible &= minutes >= self.options.min_overlap_minutes - 1e-9
        return Block(np.asarray(rows, dtype=np.int64), scores, feasible)

    def blocks(self, rows: np.ndarray, size: int = BLOCK_ROWS) -> Iterator[Block]:
        for start in range(0, len(rows), size):
            yield self.block(rows[start : start + size])

    def candidates(self, rows: np.ndarray, open_cols: np.ndarray, k: int) -> Candidates:
        """Each row's ``k`` best feasible columns among ``open_cols``.

        "Best" is the total order (score descending, column ascending), ties included, so a caller that
        needs the rest of a row can continue exactly where the candidates stop.
        """
        out_rows, out_cols, out_scores = [], [], []
        for blk in self.blocks(np.asarray(rows, dtype=np.int64)):
            local, cols, vals = _top(blk.scores, blk.feasible & open_cols[None, :], k)
            out_rows.append(blk.rows[local])
            out_cols.append(cols)
            out_scores.append(vals)
        r, c, s = (np.concatenate(x) if x else np.zeros(0) for x in (out_rows, out_cols, out_scores))
        order = np.lexsort((c, -s, r))
        return Candidates(r[order].astype(np.int64), c[order].astype(np.int64), s[order].astype(np.float64))

    def explain_unmatched(self, rows: np.ndarray) -> dict[int, tuple[str, dict[str, object]]]:
        """Why each of ``rows`` was left out, as an unmatched reason code and its params.

        A row with a feasible column lost out on capacity; otherwise name the one rule that rules out
        every column, if there is one.
        """
        if not self.n_cols:
            return {int(i): ("no_mentors", {}) for i in rows}
        out: dict[int, tuple[str, dict[str, object]]] = {}
        for start in range(0, len(rows), BLOCK_ROWS):
            chunk = np.asarray(rows[start : start + BLOCK_ROWS], dtype=np.int64)
            _, shared, minutes, forbidden = self.parts(chunk)
            for k, i in enumerate(chunk):
                out[int(i)] = self._explain_row(shared[k], minutes[k], forbidden[k])
        return out

    def _explain_row(
        self, shared: np.ndarray, minutes: np.ndarray, forbidden: np.ndarray
    ) -> tuple[str, dict[str, object]]:
        opts = self.options
        language_ok = shared if opts.require_shared_language else np.ones_like(shared)
        overlap_ok = minutes >= opts.min_overlap_minutes - 1e-9
        if (language_ok & overlap_ok & ~forbidden).any():
            return "no_capacity_left", {}
        if not language_ok.any():
            return "no_shared_language", {}
        if not overlap_ok.any():
            return "no_availability_overlap", {"minutes": opts.min_overlap_minutes}
        if not (language_ok & overlap_ok).any():
            return "no_compatible_mentor", {}
        return "excluded", {}


def _top(scores: np.ndarray, allowed: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(row, col, score) of each row's ``k`` best allowed entries in (score desc, col asc) order.

    Sorting the allowed entries is cheap when few are allowed (hard rules usually rule out most pairs);
    otherwise a partition finds each row's k-th best score and ties at it go to the lowest columns.
    """
    if k <= 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0)
    rows, cols = np.nonzero(allowed)
    if len(rows) <= 0.3 * allowed.size or k >= scores.shape[1]:
        vals = scores[rows, cols]
        order = np.lexsort((cols, -vals, rows))
        rows, cols, vals = rows[order], cols[order], vals[order]
        rank = np.arange(len(rows)) - np.searchsorted(rows, rows)
        keep = rank < k
        return rows[keep], cols[keep], vals[keep]
    masked = np.where(allowed, scores, -np.inf)
    n_cols = masked.shape[1]
    kth = np.partition(masked, n_cols - k, axis=1)[:, n_cols - k : n_cols - k + 1]
    greater = masked > kth
    tied = (masked == kth) & allowed
    room = k - greater.sum(axis=1, keepdims=True)
    rows, cols = np.nonzero(greater | (tied & (np.cumsum(tied, axis=1) <= room)))
    return rows, cols, masked[rows, cols]


def _right_side(matrix: sp.csr_matrix) -> sp.csr_matrix | np.ndarray:
    """The transposed column features, dense when small: sparse @ dense is the fastest product here."""
    if matrix.shape[0] * matrix.shape[1] <= DENSE_FEATURES:
        return np.ascontiguousarray(matrix.T.toarray())
    return matrix.T.tocsr()


def _dense(product: object) -> np.ndarray:
    if sp.issparse(product):
        return cast(sp.spmatrix, product).toarray()
    return np.asarray(product)


def _concat(a: dict[int, float], b: dict[int, float], offset: int) -> dict[int, float]:
    out = dict(a)
    out.update({k + offset: v for k, v in b.items()})
    return out


def _csr(vectors: list[dict[int, float]], width: int) -> sp.csr_matrix:
    indptr = np.zeros(len(vectors) + 1, dtype=np.int64)
    indptr[1:] = np.cumsum([len(v) for v in vectors])
    indices = np.fromiter((k for v in vectors for k in v), dtype=np.int64, count=int(indptr[-1]))
    data = np.fromiter((x for v in vectors for x in v.values()), dtype=np.float64, count=int(indptr[-1]))
    return sp.csr_matrix((data, indices, indptr), shape=(len(vectors), width))
