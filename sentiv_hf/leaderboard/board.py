"""What the board shows, as tables and figures, read from a results dataset folder (no gradio here).

`Board` reads the folder `sentiv_hf.leaderboard.results.build_results` wrote and gives the app its ranking tables
(mean ± std, the 95 % t-interval, the significance mark against the row above), the headline-vs-budget figure, and a
row's per-class F1 and confusion matrix. The app only lays these out.

Example:
    >>> board = Board.load("lb-data")  # doctest: +SKIP
    >>> board.ranking("text", 1.0)  # doctest: +SKIP
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sentiv_hf.errors import UserError

from .results import BOARD_FILE, CONFIGS

#: Mark for a row whose gap to the row above is not significant.
NOT_SIGNIFICANT = "≈"


def budget_text(budget: float) -> str:
    """``0.05`` → ``5%`` (the benchmark tables' wording).

    Example:
        >>> budget_text(0.25), budget_text(1.0)
        ('25%', '100%')
    """
    from sentiv_hf.benchmark.report import budget_label

    return budget_label(budget)


def _fmt(value) -> str:
    return "–" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.3f}"


def _link(label: str, url) -> str:
    return f"[{label}]({url})" if isinstance(url, str) and url else ""


@dataclass
class Board:
    """The configs of a results dataset folder as pandas frames, plus its ``board.json``."""

    info: dict
    results: pd.DataFrame
    summary: pd.DataFrame
    significance: pd.DataFrame

    @classmethod
    def load(cls, folder: str | Path) -> Board:
        """Read a folder written by ``sentiv leaderboard build``; a one-line `UserError` when it is not one."""
        folder = Path(folder)
        missing = [c for c in CONFIGS[:3] if not list((folder / c).glob("*.parquet"))]
        if not (folder / BOARD_FILE).is_file() or missing:
            raise UserError(
                f"{folder} is not a leaderboard data folder (no {BOARD_FILE} or no {', '.join(missing)} Parquet); "
                "build it with `sentiv leaderboard build SUBMISSIONS... --out DIR`."
            )
        frames = [pd.read_parquet(next((folder / c).glob("*.parquet"))) for c in CONFIGS[:3]]
        return cls(json.loads((folder / BOARD_FILE).read_text(encoding="utf-8")), *frames)

    @property
    def tasks(self) -> list[str]:
        return list(self.info["tasks"])

    def budgets(self, task: str) -> list[float]:
        """The budgets with results for ``task``, ascending."""
        return sorted(self.summary.loc[self.summary["task"] == task, "budget"].unique().tolist())

    def headline(self, task: str) -> str:
        return str(self.summary.loc[self.summary["task"] == task, "headline_metric"].iloc[0])

    def ranking(self, task: str, budget: float) -> pd.DataFrame:
        """The ranking of ``task`` at ``budget``: rank, model, mean ± std, 95 % interval, seeds, gap to the row above.

        A row whose gap to the row above is not significant (p >= 0.05) gets `NOT_SIGNIFICANT` beside its rank.
        """
        rows = self.summary[(self.summary["task"] == task) & np.isclose(self.summary["budget"], budget)]
        rows = rows.sort_values("rank")
        tests = self.significance
        if len(tests):
            tests = tests[(tests["task"] == task) & np.isclose(tests["budget"], budget)].set_index("model")
        metric = self.headline(task)
        out = []
        for r in rows.itertuples():
            gap, mark = "–", ""
            if len(tests) and r.model in tests.index:
                t = tests.loc[r.model]
                mark = "" if t["significant"] else f" {NOT_SIGNIFICANT}"
                verdict = "significant" if t["significant"] else "not significant"
                interval = f"[{t['ci_low']:+.3f}, {t['ci_high']:+.3f}]"
                gap = f"{t['difference']:+.3f} {interval}, p = {t['p_value']:.3f}, {verdict}"
            out.append(
                {
                    "rank": f"{r.rank}{mark}",
                    "model": r.model,
                    f"{metric} (mean ± std)": f"{r.mean:.3f} ± {r.std:.3f}",
                    "95% CI (seeds)": f"[{_fmt(r.ci_low)}, {_fmt(r.ci_high)}]",
                    "seeds": int(r.n_seeds),
                    "row above − this row": gap,
                }
            )
        return pd.DataFrame(out)

    def models(self, task: str, budget: float) -> list[str]:
        """The ranked models of ``task`` at ``budget``, best first."""
        return self.ranking(task, budget)["model"].tolist()

    def curve(self, task: str):
        """Headline metric against label budget, one line per model, error bars = std over seeds (a Figure)."""
        import matplotlib

        matplotlib.use("Agg")
        from matplotlib.figure import Figure

        rows = self.summary[self.summary["task"] == task]
        fig = Figure(figsize=(7, 4), dpi=100)
        ax = fig.add_subplot()
        for model, part in rows.groupby("model", sort=False):
            part = part.sort_values("budget")
            ax.errorbar(part["budget"] * 100, part["mean"], yerr=part["std"], marker="o", capsize=3, label=model)
        ax.set_xscale("log")
        ticks = sorted(rows["budget"].unique())
        ax.set_xticks([b * 100 for b in ticks], [budget_text(b) for b in ticks])
        ax.minorticks_off()
        ax.set_xlabel("label budget (share of train)")
        ax.set_ylabel(self.headline(task))
        ax.set_title(f"{task}: {self.headline(task)} vs label budget (mean ± std over seeds)")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
        fig.tight_layout()
        return fig

    def _runs(self, task: str, budget: float, model: str) -> pd.DataFrame:
        r = self.results
        return r[(r["task"] == task) & np.isclose(r["budget"], budget) & (r["model"] == model)]

    def per_class(self, task: str, budget: float, model: str) -> pd.DataFrame:
        """Per-class F1 of one row: mean ± std over its seeds, one line per class."""
        runs = self._runs(task, budget, model)
        if runs.empty:
            return pd.DataFrame({"class": [], "F1 (mean ± std)": []})
        names = list(runs["label_names"].iloc[0])
        lines = []
        for name in names:
            values = runs[f"f1_{name}"].astype(float)
            std = values.std(ddof=1) if len(values) > 1 else 0.0
            lines.append({"class": name, "F1 (mean ± std)": f"{values.mean():.3f} ± {std:.3f}"})
        return pd.DataFrame(lines)

    def confusion(self, task: str, budget: float, model: str) -> pd.DataFrame:
        """The confusion matrix of one row, summed over its seeds (rows = gold, columns = predicted); empty for a
        multi-label task."""
        runs = self._runs(task, budget, model)
        matrices = [m for m in runs["confusion_matrix"] if m is not None]
        if not matrices:
            return pd.DataFrame()
        names = list(runs["label_names"].iloc[0])
        total = sum(np.array([list(row) for row in m], dtype=np.int64) for m in matrices)
        frame = pd.DataFrame(total, columns=[f"→ {n}" for n in names])
        frame.insert(0, "gold \\ predicted", names)
        return frame

    def links(self, task: str, budget: float, model: str) -> str:
        """Markdown links to the row's model card and checkpoints on the Hub, or a line saying there are none."""
        runs = self._runs(task, budget, model)
        if runs.empty:
            return ""
        first = runs.iloc[0]
        parts = [_link(f"model card: {first['model_id']}", first["model_url"])]
        parts += [_link(f"seed {r.seed} checkpoint", r.checkpoint_url) for r in runs.itertuples()]
        parts = [p for p in parts if p]
        if not parts:
            return f"`{model}` (submission `{first['submission']}`) links no Hub model card or checkpoint."
        return " · ".join(parts)


__all__ = ["NOT_SIGNIFICANT", "Board", "budget_text"]
