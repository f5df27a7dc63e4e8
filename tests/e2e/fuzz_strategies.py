"""Hypothesis strategies for hostile input: texts, forged button data, media, groups and channels.

An action is a (kind, payload) tuple that tests/e2e/test_fuzz.py delivers as a Telegram update.
"""

from __future__ import annotations

import inspect

from aiogram.filters.callback_data import CallbackData
from hypothesis import strategies as st

from handlers import callbacks, staff_callbacks

EMOJI = ["😀", "👍🏽", "👩‍👩‍👧‍👦", "🇨🇳", "❤️", "🀄", "\U0001f9d1\u200d\U0001f4bb"]
RTL = ["مرحبا بالعالم", "שלום", "\u202e", "\u202b", "\u200f", "\u061c"]
INVISIBLE = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u180e", "\u3000"]
HTML_LIKE = ["<b>", "</b>", "<i>x</i>", "<a href=\"javascript:alert(1)\">", "</a>", "<tg-spoiler>", "<br>",
             "&", "&amp;", "&lt;", "&#0;", "&nbsp;", "<", ">", "<script>alert(1)</script>", "<blockquote>",
             "<code>", "<pre><code class=\"language-sql\">", "\"", "'"]
MARKDOWN_LIKE = ["*bold*", "_it_", "__u__", "~s~", "||spoiler||", "`code`", "```py\nx\n```", "[a](http://x.y)",
                 "\\", "\\*", "#", ">quote"]
SQL_LIKE = ["'; DROP TABLE comments; --", "\" OR 1=1 --", "%", "_", "\\x00", "1; SELECT pg_sleep(10)",
            "' UNION SELECT * FROM residents --", "%s%s%s", "{0}", "{text}", "${jndi:ldap://x}", "NULL"]
CJK = ["第十二条", "养老服务设施", "（修订草案）", "建议", "，", "。", "YJ-2026-000001", "ＹＪ－２０２６－０００００１"]
FRAGMENTS = EMOJI + RTL + INVISIBLE + HTML_LIKE + MARKDOWN_LIKE + SQL_LIKE + CJK + [" ", "\n", "\t", "\r\n"]
COMMANDS = ["/start", "/drafts", "/mycomments", "/track", "/search", "/subscribe", "/language", "/help",
            "/cancel", "/privacy", "/mydata", "/staff", "/start a1_12", "/start d1", "/start a99999_1",
            "/start d0", "/start a1_0", "/track YJ-2026-000001", "/start@yijian_test_bot", "/unknown", "/"]

fragment_text = st.lists(st.sampled_from(FRAGMENTS) | st.text(max_size=20), max_size=60).map("".join)
long_text = st.builds(lambda piece, n: (piece * n)[:4096], st.sampled_from(FRAGMENTS + ["意", "a"]),
                      st.integers(1990, 4096))
any_text = st.one_of(fragment_text, st.text(max_size=300), long_text,
                     st.builds(lambda c, rest: f"{c} {rest}", st.sampled_from(COMMANDS), fragment_text))
message_text = any_text.filter(lambda t: t.strip() != "")  # Telegram delivers no empty message


def _callback_classes() -> list[type[CallbackData]]:
    return [c for module in (callbacks, staff_callbacks) for _, c in inspect.getmembers(module, inspect.isclass)
            if issubclass(c, CallbackData) and c is not CallbackData]


PREFIXES = sorted({(c.__prefix__, len(c.model_fields)) for c in _callback_classes()})


def field_value(ids: list[int]) -> st.SearchStrategy[str]:
    """Plausible and implausible values of one field: real ids (ours and others'), edge numbers, words."""
    edges = [-1, 0, 2**31 - 1, 2**31, -(2**31) - 1, 2**63 - 1, 2**63, -(2**63) - 1, 10**30, 10**400]
    numbers = st.sampled_from(ids) | st.integers(-3, 5) | st.sampled_from(edges)
    words = st.sampled_from(["", "1", "0", "true", "false", "view", "confirm", "submit", "edit", "cancel", "sign",
                             "withdraw", "remove_ok", "admin", "adopted", "not_satisfied", "home", "staff", "zh",
                             "en", "xx", "None", "null", "NaN", "1e9", "٣", "１"])
    return numbers.map(str) | words | st.text(max_size=8)


def forged_data(ids: list[int]) -> st.SearchStrategy[str]:
    def build(prefix_and_count: tuple[str, int], values: list[str]) -> str:
        prefix, count = prefix_and_count
        return ":".join([prefix, *values[:count]])

    well_formed = st.builds(build, st.sampled_from(PREFIXES), st.lists(field_value(ids), min_size=0, max_size=6))
    data = st.one_of(well_formed, well_formed, well_formed, st.text(max_size=64),
                     st.sampled_from([":", "::::", "m:", "s_m:home", "zz:1"]))
    return data.filter(lambda d: 0 < len(d.encode()) <= 64)  # what Telegram lets a client send


def actions(ids: list[int]) -> st.SearchStrategy[tuple[str, object]]:
    documents = st.tuples(st.binary(max_size=2000),
                          st.sampled_from(["draft.txt", "draft.md", "draft.docx", "a.pdf", "noext", ".txt", "x.TXT"]))
    return st.one_of(
        st.tuples(st.just("text"), message_text),
        st.tuples(st.just("press"), forged_data(ids)),  # the richest vein: listed three times
        st.tuples(st.just("press"), forged_data(ids)),
        st.tuples(st.just("press"), forged_data(ids)),
        st.tuples(st.just("edit"), message_text),
        st.tuples(st.just("media"), st.sampled_from(["photo", "sticker", "voice", "location", "contact"])),
        st.tuples(st.just("caption"), any_text.map(lambda t: t[:1024])),
        st.tuples(st.just("document"), documents),
        st.tuples(st.just("group"), message_text),
        st.tuples(st.just("group_press"), forged_data(ids)),
        st.tuples(st.just("channel"), message_text),
        # The bot's own membership: added to or removed from a group, blocked or unblocked in the private chat.
        st.tuples(st.just("membership"),
                  st.tuples(st.booleans(), st.sampled_from(["member", "administrator", "left", "kicked"]))),
    )
