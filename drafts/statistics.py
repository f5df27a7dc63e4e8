"""Statistics of a draft's consultation for staff, and its bar chart of comments per article.

The chart is drawn with matplotlib on an Agg canvas created for the figure (no pyplot, no global
backend switch), with a CJK font found on the system: without one matplotlib silently draws
boxes, so a missing font is an error that names the package to install.
"""

from __future__ import annotations

import functools
import io
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from drafts.errors import DraftNotFound
from drafts.models import Draft
from drafts.ports import Database
from drafts.staff import Permission
from drafts.staff_directory import authorize
from drafts.synthesis import article_label, article_order

TOP_ARTICLES = 10
UNKNOWN_LANGUAGE = "und"  # ISO 639 "undetermined": the detector was unsure
# Families known to cover simplified Chinese, best first; fonts-wqy-microhei is the small Debian one.
CJK_FAMILIES = ("WenQuanYi Micro Hei", "WenQuanYi Zen Hei", "Noto Sans CJK SC", "Noto Sans SC",
                "Source Han Sans SC", "Source Han Sans CN", "Noto Serif CJK SC", "AR PL UMing CN",
                "Microsoft YaHei", "SimHei", "PingFang SC")
PROBE = "条"  # a character every label of the chart has


class CjkFontMissing(RuntimeError):
    def __init__(self) -> None:
        super().__init__("no CJK font found for the statistics chart (looked for "
                         f"{', '.join(CJK_FAMILIES)}); install one, e.g. `apt-get install fonts-wqy-microhei`")


@dataclass(frozen=True)
class DraftStatistics:
    draft: Draft
    comments: int  # not withdrawn
    commenters: int  # distinct residents; each comment of a forgotten resident counts as one
    per_article: tuple[tuple[str, int], ...]  # (label, comments) in document order, whole draft last
    top_articles: tuple[tuple[str, int], ...]  # the ten most commented articles (whole draft not an article)
    share_answered: float  # comments with a published answer / comments; 0.0 without comments
    median_days_to_answer: float | None  # from comment to answer publication; None before any
    languages: dict[str, int]  # ISO 639-1 code -> comments
    satisfaction: dict[str, int] = field(default_factory=dict)  # rating -> count, residents' ratings of answers


class Statistics:
    def __init__(self, db: Database, clock: Callable[[], datetime]) -> None:
        self._db = db
        self._clock = clock

    async def of_draft(self, actor: int, draft_id: int) -> DraftStatistics:
        async with self._db.write() as uow:
            await authorize(uow, actor, Permission.VIEW, "statistics.read", "draft", draft_id, self._clock())
            draft = await uow.drafts.get(draft_id)
            if draft is None:
                raise DraftNotFound(draft_id)
            # Aggregates computed by the database: a million comments never come into memory.
            figures = await uow.synthesis.figures(draft_id)
        ordered = sorted(figures.per_article.items(), key=lambda item: article_order(item[0]))
        # sorted() is stable: equally commented articles stay in document order.
        top = sorted(((n, k) for n, k in ordered if n is not None), key=lambda item: -item[1])[:TOP_ARTICLES]
        languages: Counter[str] = Counter()
        for code, count in figures.languages.items():
            languages[code or UNKNOWN_LANGUAGE] += count
        return DraftStatistics(
            draft=draft,
            comments=figures.comments,
            commenters=figures.commenters,
            per_article=tuple((article_label(n), k) for n, k in ordered),
            top_articles=tuple((article_label(n), k) for n, k in top),
            share_answered=figures.answered / figures.comments if figures.comments else 0.0,
            satisfaction=dict(figures.satisfaction),
            median_days_to_answer=figures.median_days_to_answer,
            languages=dict(languages.most_common()),
        )


@functools.cache
def find_cjk_font() -> str:
    """The path of an installed font that has Chinese glyphs, or CjkFontMissing."""
    from matplotlib import font_manager

    known = {font.name: font.fname for font in font_manager.fontManager.ttflist}
    candidates = [known[family] for family in CJK_FAMILIES if family in known]
    if not candidates:
        # matplotlib's font cache predates a font installed since: look at the files themselves.
        candidates = [path for path in font_manager.findSystemFonts() if _family(path) in CJK_FAMILIES]
    for path in candidates:
        if has_glyph(path, PROBE):
            return path
    raise CjkFontMissing()


def has_glyph(path: str, char: str) -> bool:
    from matplotlib.ft2font import FT2Font

    return FT2Font(path).get_char_index(ord(char)) != 0  # glyph 0 is .notdef, the box


def _family(path: str) -> str | None:
    from matplotlib.ft2font import FT2Font

    try:
        return FT2Font(path).family_name
    except (OSError, RuntimeError):  # a font file FreeType cannot read
        return None


def render_chart(stats: DraftStatistics, title: str) -> bytes:
    """A PNG bar chart of comments per article."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties
    from matplotlib.ticker import MaxNLocator

    font = FontProperties(fname=find_cjk_font())
    labels = [label for label, _ in stats.per_article]
    counts = [count for _, count in stats.per_article]
    figure = Figure(figsize=(max(6.0, 0.45 * len(labels) + 2), 4.5), dpi=100)
    FigureCanvasAgg(figure)  # attaches the Agg canvas to this figure only
    axes = figure.add_subplot()
    axes.bar(range(len(labels)), counts, color="#b8312f")
    axes.set_xticks(range(len(labels)), labels, fontproperties=font, rotation=45, ha="right")
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_ylabel("意见数", fontproperties=font)
    axes.set_title(title, fontproperties=font, fontsize=13)
    if not labels:
        axes.text(0.5, 0.5, "暂无意见", fontproperties=font, ha="center", va="center", transform=axes.transAxes)
    figure.tight_layout()
    png = io.BytesIO()
    figure.savefig(png, format="png")
    return png.getvalue()
