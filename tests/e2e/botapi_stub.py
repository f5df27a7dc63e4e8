"""A stand-in Telegram Bot API server for Yijian's end-to-end tests.

The real aiogram bot talks to this server over HTTP exactly as it would talk to
api.telegram.org: point it at ``TelegramAPIServer.from_base(stub.base_url)``.
Tests inject what a resident does (``send_text``, ``press``, ...) as updates
that the bot fetches with getUpdates, and observe what the bot did through
``stub.events``, ``stub.messages(chat_id)`` and the ``wait_for_*`` helpers.

aiogram sends ``POST {base}/bot{token}/{method}`` with form data (multipart
when files are uploaded); nested objects (reply_markup, entities, commands,
scope, ...) arrive as JSON-encoded strings. Every answer is
``{"ok": true, "result": ...}`` or ``{"ok": false, "error_code": N,
"description": "..."}`` like the real API. Only aiohttp and the stdlib are used.

Records the tests read:
* event (``stub.events``): index, method, params (decoded; an upload is a dict
  file_name/mime_type/content), chat_id (int or None), message (a snapshot of the
  stored message after the call, or None), error (description or None), time (when recorded),
  received (when the request arrived: earlier than time for a request held by a fault).
  getUpdates calls are not recorded.
* stored bot message (``stub.messages(chat_id)``, updated in place by edits):
  chat_id, message_id, date, method (the sending method), last_method, text (as
  sent, raw HTML), plain_text (as the resident sees it), entities, parse_mode,
  reply_markup (dict); media messages add document/photo, content (bytes),
  caption, plain_caption, caption_entities.
Like Telegram, editing without a change answers 400 "message is not modified",
and editMessageText without reply_markup removes the inline keyboard. Like Telegram, a callback
query takes one answer: a second gets 400 "query is too old ... or query ID is invalid" (set
``stub.one_answer_per_query = False`` to accept any number).

Rate limits (off by default): ``stub.enforce_rate(global_per_second, per_chat_per_second)``
makes sendMessage answer 429 (parameters.retry_after=1) when it would exceed the global rate
in any sliding one-second window, or the per-chat rate (N a second; below 1, one per 1/N s).
Each refusal is appended to ``stub.rate_limited`` ({chat_id, scope: "global"|"chat", time});
refused calls are recorded as events with an error and do not count towards the windows.

Random faults (off by default): ``stub.inject_faults(fraction, seed=...)`` makes that fraction of
the calls of getUpdates, sendMessage, editMessageText and answerCallbackQuery fail, each with one of
the kinds "5xx" (500/502/503 at once), "429" (retry_after), "timeout" (the request is held
``hold`` s, longer than the client waits, and then refused with 504 WITHOUT being carried out:
the client must try again) and "late" (carried out and recorded, then the answer is held past the
client's timeout: Telegram did deliver the message, the client cannot know, a retry duplicates
it). For getUpdates "late" acts as "timeout" and the hold adds the long-poll timeout the bot asked
for. Whether a call fails is drawn from random.Random(seed, method, chat, n-th call of that method
in that chat): a chat's own sequence of calls meets the same faults whatever the other chats do.
Each injected fault is appended to ``stub.faults`` ({method, kind, chat_id, status, message_id,
time}); ``stub.stop_faults()`` ends them (held requests still run out their hold).
"""
from __future__ import annotations

import asyncio
import copy
import html
import itertools
import json
import random
import re
import time
from collections import deque
from typing import Any, Callable

from aiohttp import web

BOT_USER = {"id": 999000, "is_bot": True, "first_name": "Yijian", "username": "yijian_test_bot"}
# Methods that count as "the bot answered in this chat" for wait_for_reply().
REPLY_METHODS = {"sendMessage", "editMessageText", "editMessageReplyMarkup", "sendDocument", "sendPhoto"}
# Form fields that aiogram JSON-encodes; they are decoded before handlers see them.
JSON_FIELDS = {"reply_markup", "entities", "caption_entities", "commands", "scope", "allowed_updates",
               "link_preview_options", "reply_parameters", "media", "results"}
FAULT_METHODS = frozenset({"getUpdates", "sendMessage", "editMessageText", "answerCallbackQuery"})
FAULT_KINDS = ("5xx", "429", "timeout", "late")
NOT_MODIFIED = ("Bad Request: message is not modified: specified new message content and reply "
                "markup are exactly the same as a current content and reply markup of the message")


class BotAPIError(Exception):
    """An error answer: HTTP status + Telegram description (+ retry_after for 429)."""

    def __init__(self, status: int, description: str, retry_after: int | None = None):
        super().__init__(description)
        self.status, self.description, self.retry_after = status, description, retry_after
        self.chat_id: int | None = None  # fail_next(chat_id=…): only a call for that chat gets it


# --------------------------------------------------------------------------- HTML parse mode
# Tag -> MessageEntity type, the set Telegram accepts with parse_mode=HTML.
HTML_TAGS = {"b": "bold", "strong": "bold", "i": "italic", "em": "italic", "u": "underline",
             "ins": "underline", "s": "strikethrough", "strike": "strikethrough", "del": "strikethrough",
             "span": "spoiler", "tg-spoiler": "spoiler", "a": "text_link", "code": "code", "pre": "pre",
             "blockquote": "blockquote", "tg-emoji": "custom_emoji"}
_ENTITY_RE = re.compile(r"&(?:lt|gt|amp|quot|#[0-9]+|#x[0-9a-fA-F]+);")
_ATTR = r"""([a-zA-Z-]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>"']+)))?"""   # name[=value]
_ATTR_RE = re.compile(_ATTR)
_TAG_RE = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+" + _ATTR + r")*)\s*>")


def utf16_len(s: str) -> int:
    """Telegram measures entity offsets/lengths in UTF-16 code units."""
    return len(s.encode("utf-16-le")) // 2


def parse_html(text: str) -> tuple[str, list[dict]]:
    """Parse ``text`` the way Telegram does for parse_mode=HTML.

    Returns (plain_text, entities); raises ValueError(reason) where Telegram would answer
    "can't parse entities". Unknown tags, unbalanced or badly nested tags, a bare ``<`` and
    an ``&`` that does not start &lt; &gt; &amp; &quot; or a numeric entity are errors.
    """
    out: list[str] = []
    pos = 0                                    # current offset in the plain text (UTF-16)
    stack: list[tuple[str, dict, int]] = []    # open tags: (name, entity, start offset)
    entities: list[dict] = []
    i = 0
    while i < len(text):
        ch, at = text[i], len(text[:i].encode())      # `at`: byte offset, as Telegram reports
        if ch == "&":
            m = _ENTITY_RE.match(text, i)
            if not m:
                raise ValueError(f"Unsupported HTML entity at byte offset {at} (escape '&' as &amp;)")
            out.append(html.unescape(m.group(0)))
            pos += utf16_len(out[-1])
            i = m.end()
        elif ch == "<":
            m = _TAG_RE.match(text, i)
            if not m:
                raise ValueError(f"Unclosed or invalid tag at byte offset {at} (escape '<' as &lt;)")
            closing, name = m.group(1) == "/", m.group(2).lower()
            if name not in HTML_TAGS:
                raise ValueError(f'Unsupported {"end" if closing else "start"} tag "{name}" at byte offset {at}')
            if closing:
                if not stack:
                    raise ValueError(f"Unexpected end tag at byte offset {at}")
                if stack[-1][0] != name:
                    raise ValueError(f'Unmatched end tag at byte offset {at}, expected "</{stack[-1][0]}>", '
                                     f'found "</{name}>"')
                _, entity, start = stack.pop()
                if pos > start and entity:
                    entities.append({**entity, "offset": start, "length": pos - start})
            else:
                attrs = {a.lower(): next((v for v in vals if v), "")
                         for a, *vals in _ATTR_RE.findall(m.group(3))}
                entity: dict = {"type": HTML_TAGS[name]}
                if name == "span" and attrs.get("class") != "tg-spoiler":
                    raise ValueError('Tag "span" must have class "tg-spoiler"')
                if name == "tg-emoji":
                    if not attrs.get("emoji-id"):
                        raise ValueError('Tag "tg-emoji" must have attribute "emoji-id"')
                    entity["custom_emoji_id"] = attrs["emoji-id"]
                if name == "a":   # <a> without href is plain text in Telegram
                    entity = {"type": "text_link", "url": attrs["href"]} if attrs.get("href") else {}
                if name == "blockquote" and "expandable" in attrs:
                    entity["type"] = "expandable_blockquote"
                language = attrs.get("class", "").removeprefix("language-")
                if name == "code" and stack and stack[-1][0] == "pre" and language != attrs.get("class", ""):
                    stack[-1][1]["language"] = language
                stack.append((name, entity, pos))
            i = m.end()
        else:
            out.append(ch)
            pos += utf16_len(ch)
            i += 1
    if stack:
        raise ValueError(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


# --------------------------------------------------------------------------- the server
class BotAPIStub:
    """In-process fake of the Telegram Bot API. See the module docstring."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        self.host, self.port, self.base_url = host, port, ""
        self.tokens: list[str] = []            # every distinct bot token seen, in order
        self.events: list[dict] = []           # every call except getUpdates (polling noise)
        self.parse_errors: list[dict] = []     # {method, chat_id, text, error}
        self.callback_answers: list[dict] = [] # answerCallbackQuery params
        self.commands: dict[tuple[str, str], list[dict]] = {}  # (scope json, language_code) -> list
        self.updates_sent: list[dict] = []     # every injected update
        self.downloads: list[str] = []         # file paths fetched via /file/bot.../
        self._chats: dict[int, dict[int, dict]] = {}   # chat_id -> {message_id: bot message}
        self._last_msg_id: dict[int, int] = {}         # per-chat counter (user + bot messages)
        self._users: dict[int, dict] = {}
        self._queue: list[dict] = []                   # updates not yet confirmed via offset
        self._update_ids = itertools.count(1)
        self._ids = itertools.count(1)                 # file ids, callback query ids
        self._delivered_upto = 0
        self._callback_ids: set[str] = set()
        self._answered_ids: set[str] = set()
        self.one_answer_per_query = True       # a second answerCallbackQuery is refused, as by Telegram
        self._files: dict[str, dict] = {}              # file_id -> record (incl. content bytes)
        self._failures: dict[str, list[BotAPIError]] = {}
        self.rate_limited: list[dict] = []     # sendMessage calls refused with 429 by enforce_rate()
        self._rate_global: float | None = None
        self._rate_chat: float | None = None
        self._sent_times: deque[float] = deque()             # accepted sendMessage, last second
        self._chat_sent_times: dict[int, deque[float]] = {}  # per chat, within its window
        self.faults: list[dict] = []           # every fault injected by inject_faults()
        self._fault_plan: dict | None = None
        self._fault_calls: dict[tuple[str, str], int] = {}  # (method, chat) -> calls drawn so far
        self._changed = asyncio.Event()                # replaced on every change, see _notify()
        self._last_activity, self._inflight, self._poll_gen = time.monotonic(), 0, 0
        self._closing, self._runner = False, None
        self._handlers = {n[5:].lower(): (n[5:], getattr(self, n)) for n in dir(self) if n.startswith("_api_")}

    # ---------------------------------------------------------------- lifecycle
    async def start(self) -> "BotAPIStub":
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        self._closing = False
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.host, self.port).start()
        self.port = self._runner.addresses[0][1]
        self.base_url = f"http://{self.host}:{self.port}"
        return self

    async def stop(self) -> None:
        self._closing = True          # wakes a pending long poll so shutdown is immediate
        self._notify()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> "BotAPIStub":
        return await self.start()

    async def __aexit__(self, *exc: Any) -> None:
        await self.stop()

    # ---------------------------------------------------------------- HTTP plumbing
    async def _handle_api(self, request: web.Request) -> web.Response:
        token = request.match_info["token"]
        if token not in self.tokens:
            self.tokens.append(token)
        if request.content_type == "application/json":
            raw: Any = await request.json()
        else:
            raw = await request.post() if request.method == "POST" else request.query
        params, files = {}, {}
        for key, value in raw.items():
            if isinstance(value, web.FileField):           # multipart upload, named by "attach://key"
                files[key] = {"file_name": value.filename, "mime_type": value.content_type,
                              "content": value.file.read()}
            elif key in JSON_FIELDS and isinstance(value, str):
                params[key] = json.loads(value)
            else:
                params[key] = value
        for key, value in params.items():                  # "attach://key" -> the uploaded file dict
            if isinstance(value, str) and value.startswith("attach://") and value[9:] in files:
                params[key] = files[value[9:]]
        name, handler = self._handlers.get(request.match_info["method"].lower(),
                                           (request.match_info["method"], None))
        polling = name == "getUpdates"
        received = time.monotonic()
        if not polling:
            self._inflight += 1
            self._touch()
        fault = self._draw_fault(name, params)
        try:
            if fault is not None and fault["kind"] != "late":
                await self._fail(fault, params)
            failures = self._failures.get(name.lower(), [])
            for index, failure in enumerate(failures):  # the first one meant for this call (or any call)
                if failure.chat_id is None or str(failure.chat_id) == str(params.get("chat_id")):
                    raise failures.pop(index)
            if name == "sendMessage" and (self._rate_global is not None or self._rate_chat is not None):
                self._check_rate(params)
            if polling:
                return self._reply(await self._get_updates(params))
            try:
                result, message = handler(params) if handler else (True, None)
            except (KeyError, ValueError, TypeError) as e:   # missing/malformed parameter
                raise BotAPIError(400, f"Bad Request: invalid parameters: {e!r}") from None
            self._record(name, params, message, received=received)
            if fault is not None:   # "late": done and recorded, but the answer comes too late
                fault["message_id"] = (message or {}).get("message_id")
                await self._hold(fault["hold"])
            return self._reply(result)
        except BotAPIError as e:
            if not polling:
                self._record(name, params, None, error=e.description, received=received)
            return self._reply(None, e)
        finally:
            if not polling:
                self._inflight -= 1
                self._touch()

    @staticmethod
    def _reply(result: Any, error: BotAPIError | None = None) -> web.Response:
        if error is None:
            return web.json_response({"ok": True, "result": result})
        body: dict = {"ok": False, "error_code": error.status, "description": error.description}
        if error.retry_after is not None:
            body["parameters"] = {"retry_after": error.retry_after}
        return web.json_response(body, status=error.status)

    async def _handle_file(self, request: web.Request) -> web.Response:
        path = request.match_info["path"]
        record = next((f for f in self._files.values() if f["file_path"] == path), None)
        if record is None:
            return web.json_response({"ok": False, "error_code": 404, "description": "Not Found"}, status=404)
        self.downloads.append(path)
        return web.Response(body=record["content"], content_type="application/octet-stream")

    def _record(self, method: str, params: dict, message: dict | None, error: str | None = None,
                received: float | None = None) -> None:
        chat_id = params.get("chat_id")
        chat_id = int(chat_id) if isinstance(chat_id, (int, str)) and str(chat_id).lstrip("-").isdigit() else chat_id
        self.events.append({"index": len(self.events), "method": method, "params": params, "chat_id": chat_id,
                            "message": copy.deepcopy(message), "error": error, "time": time.monotonic(),
                            "received": received or time.monotonic()})

    def _touch(self) -> None:
        self._last_activity = time.monotonic()
        self._notify()

    def _notify(self) -> None:
        """Wake every waiter: set the current Event and install a fresh one."""
        self._changed.set()
        self._changed = asyncio.Event()

    async def _wait(self, predicate: Callable[[], Any], timeout: float) -> Any:
        """Re-check ``predicate`` after every change until truthy or ``timeout`` passes."""
        deadline = time.monotonic() + timeout
        while not (result := predicate()) and (remaining := deadline - time.monotonic()) > 0:
            try:
                await asyncio.wait_for(self._changed.wait(), remaining)
            except asyncio.TimeoutError:
                pass
        return result

    # ---------------------------------------------------------------- helpers shared by methods
    @staticmethod
    def _chat_id(params: dict) -> int:
        try:
            return int(params["chat_id"])
        except (KeyError, ValueError):
            raise BotAPIError(400, "Bad Request: chat not found") from None

    def _chat_json(self, chat_id: int) -> dict:
        if chat_id > 0:
            user = self._users.get(chat_id, {"first_name": "Resident"})
            return {"id": chat_id, "type": "private", "first_name": user["first_name"],
                    **({"username": user["username"]} if user.get("username") else {})}
        return {"id": chat_id, "type": "supergroup" if str(chat_id).startswith("-100") else "group", "title": "Chat"}

    def _next_message_id(self, chat_id: int) -> int:
        self._last_msg_id[chat_id] = self._last_msg_id.get(chat_id, 0) + 1
        return self._last_msg_id[chat_id]

    def _check_text(self, params: dict, method: str, key: str = "text", limit: int = 4096) -> tuple[str | None, list]:
        """Validate text/caption like Telegram; return (plain text, entities)."""
        text = params.get(key)
        if not text:
            if key == "text":
                raise BotAPIError(400, "Bad Request: message text is empty")
            return None, []
        plain, entities = text, params.get("entities" if key == "text" else "caption_entities") or []
        if str(params.get("parse_mode", "")).upper() == "HTML":
            try:
                plain, entities = parse_html(text)
            except ValueError as e:
                self.parse_errors.append({"method": method, "chat_id": params.get("chat_id"),
                                          "text": text, "error": str(e)})
                raise BotAPIError(400, f"Bad Request: can't parse entities: {e}") from None
        if key == "text" and not plain.strip():
            raise BotAPIError(400, "Bad Request: message text is empty")
        if len(plain) > limit:
            raise BotAPIError(400, "Bad Request: message is too long" if key == "text" else
                              "Bad Request: message caption is too long")
        return plain, entities

    def message_json(self, msg: dict) -> dict:
        """The Telegram Message object for a stored bot message (what the API returns)."""
        out: dict = {"message_id": msg["message_id"], "date": msg["date"], "chat": self._chat_json(msg["chat_id"]),
                     "from": BOT_USER}
        if msg.get("edit_date"):
            out["edit_date"] = msg["edit_date"]
        if msg.get("text") is not None:
            out.update(text=msg["plain_text"], **({"entities": msg["entities"]} if msg["entities"] else {}))
        for kind in ("document", "photo"):
            if msg.get(kind):
                out[kind] = msg[kind]
        if msg.get("caption"):
            out.update(caption=msg["plain_caption"], **({"caption_entities": msg["caption_entities"]}
                                                        if msg["caption_entities"] else {}))
        markup = msg.get("reply_markup")
        if markup and "inline_keyboard" in markup:   # only inline keyboards come back on a Message
            out["reply_markup"] = markup
        return out

    def _edit_target(self, params: dict) -> dict | None:
        if params.get("inline_message_id"):
            return None
        msg = self._chats.get(self._chat_id(params), {}).get(int(params.get("message_id") or 0))
        if msg is None:
            raise BotAPIError(400, "Bad Request: message to edit not found")
        return msg

    def _input_file(self, value: dict | str | None, kind: str, mime: str | None) -> dict:
        """Resolve a document/photo argument: an upload (dict), a known file_id or a URL."""
        if isinstance(value, dict):
            return self._files[self.add_file(value["content"], value["file_name"] or kind, value["mime_type"] or mime)]
        if value in self._files:
            return self._files[value]
        if value and value.startswith(("http://", "https://")):
            return self._files[self.add_file(b"", value.rsplit("/", 1)[-1] or kind, mime)]
        raise BotAPIError(400, "Bad Request: wrong file identifier/HTTP URL specified")

    # ---------------------------------------------------------------- Bot API methods
    # Each handler takes the decoded params and returns (result, stored message or None).
    def _api_getMe(self, params: dict):
        return {**BOT_USER, "can_join_groups": True, "can_read_all_group_messages": False,
                "supports_inline_queries": False}, None

    def _api_deleteWebhook(self, params: dict):
        return True, None

    def _scope_key(self, params: dict) -> tuple[str, str]:
        return json.dumps(params.get("scope") or {"type": "default"}, sort_keys=True), params.get("language_code", "")

    def _api_setMyCommands(self, params: dict):
        self.commands[self._scope_key(params)] = params.get("commands") or []
        return True, None

    def _api_getMyCommands(self, params: dict):
        return self.commands.get(self._scope_key(params), []), None

    def _api_deleteMyCommands(self, params: dict):
        self.commands.pop(self._scope_key(params), None)
        return True, None

    def _api_sendMessage(self, params: dict):
        chat_id = self._chat_id(params)
        plain, entities = self._check_text(params, "sendMessage")
        msg = {"chat_id": chat_id, "message_id": self._next_message_id(chat_id), "date": int(time.time()),
               "method": "sendMessage", "text": params["text"], "plain_text": plain, "entities": entities,
               "parse_mode": params.get("parse_mode"), "reply_markup": params.get("reply_markup")}
        self._chats.setdefault(chat_id, {})[msg["message_id"]] = msg
        return self.message_json(msg), msg

    def _send_media(self, params: dict, kind: str, method: str):
        chat_id = self._chat_id(params)
        caption, caption_entities = self._check_text(params, method, "caption", 1024)
        rec = self._input_file(params.get(kind), kind, "image/jpeg" if kind == "photo" else None)
        base = {"file_id": rec["file_id"], "file_unique_id": rec["file_unique_id"], "file_size": len(rec["content"])}
        media = ([{**base, "width": 800, "height": 600}] if kind == "photo" else
                 {**base, "file_name": rec["file_name"], "mime_type": rec["mime_type"] or "application/octet-stream"})
        msg = {"chat_id": chat_id, "message_id": self._next_message_id(chat_id), "date": int(time.time()),
               "method": method, "text": None, kind: media, "content": rec["content"], "caption": params.get("caption"),
               "plain_caption": caption, "caption_entities": caption_entities,
               "parse_mode": params.get("parse_mode"), "reply_markup": params.get("reply_markup")}
        self._chats.setdefault(chat_id, {})[msg["message_id"]] = msg
        return self.message_json(msg), msg

    def _api_sendDocument(self, params: dict):
        return self._send_media(params, "document", "sendDocument")

    def _api_sendPhoto(self, params: dict):
        return self._send_media(params, "photo", "sendPhoto")

    def _api_editMessageText(self, params: dict):
        msg = self._edit_target(params)
        plain, entities = self._check_text(params, "editMessageText")
        if msg is None:
            return True, None
        if msg["text"] is None:
            raise BotAPIError(400, "Bad Request: there is no text in the message to edit")
        markup = params.get("reply_markup")   # omitted markup removes the inline keyboard, as in Telegram
        if (plain, entities, markup) == (msg["plain_text"], msg["entities"], msg["reply_markup"]):
            raise BotAPIError(400, NOT_MODIFIED)
        msg.update(text=params["text"], plain_text=plain, entities=entities, parse_mode=params.get("parse_mode"),
                   reply_markup=markup, edit_date=int(time.time()), last_method="editMessageText")
        return self.message_json(msg), msg

    def _api_editMessageReplyMarkup(self, params: dict):
        msg = self._edit_target(params)
        if msg is None:
            return True, None
        if params.get("reply_markup") == msg["reply_markup"]:
            raise BotAPIError(400, NOT_MODIFIED)
        msg.update(reply_markup=params.get("reply_markup"), edit_date=int(time.time()),
                   last_method="editMessageReplyMarkup")
        return self.message_json(msg), msg

    def _api_deleteMessage(self, params: dict):
        chat = self._chats.get(self._chat_id(params), {})
        if chat.pop(int(params.get("message_id") or 0), None) is None:
            raise BotAPIError(400, "Bad Request: message to delete not found")
        return True, None

    def _api_answerCallbackQuery(self, params: dict):
        query_id = params.get("callback_query_id")
        if query_id not in self._callback_ids or (self.one_answer_per_query and query_id in self._answered_ids):
            raise BotAPIError(400, "Bad Request: query is too old and response timeout expired or query ID is invalid")
        self._answered_ids.add(query_id)
        self.callback_answers.append(params)
        return True, None

    def _api_sendChatAction(self, params: dict):
        self._chat_id(params)
        return True, None

    def _api_getFile(self, params: dict):
        rec = self._files.get(params.get("file_id", ""))
        if rec is None:
            raise BotAPIError(400, "Bad Request: invalid file_id")
        if len(rec["content"]) > 20 * 1024 * 1024:
            raise BotAPIError(400, "Bad Request: file is too big")
        return {"file_id": rec["file_id"], "file_unique_id": rec["file_unique_id"],
                "file_size": len(rec["content"]), "file_path": rec["file_path"]}, None

    async def _get_updates(self, params: dict) -> list[dict]:
        """Long polling: confirm updates below ``offset``, wait up to ``timeout`` s for new ones."""
        offset = max(int(params.get("offset") or 0), 0)
        limit = min(max(int(params.get("limit") or 100), 1), 100)
        self._queue = [u for u in self._queue if u["update_id"] >= offset]
        self._poll_gen += 1
        gen = self._poll_gen   # a newer getUpdates call terminates a pending one (409), as in Telegram
        self._notify()
        await self._wait(lambda: self._queue or self._closing or gen != self._poll_gen,
                         float(params.get("timeout") or 0))
        if gen != self._poll_gen and not self._closing:
            raise BotAPIError(409, "Conflict: terminated by other getUpdates request; "
                                   "make sure that only one bot instance is running")
        batch = self._queue[:limit]
        if batch:
            self._delivered_upto = max(self._delivered_upto, batch[-1]["update_id"])
            self._touch()
        return batch

    # ---------------------------------------------------------------- injecting updates
    def add_file(self, content: bytes, file_name: str = "file.bin", mime_type: str | None = None) -> str:
        """Register a file for getFile/download; returns its file_id."""
        n = next(self._ids)
        ext = "." + file_name.rsplit(".", 1)[1] if "." in file_name else ""
        file_id = f"BQACAgIAAx{n:08d}"
        self._files[file_id] = {"file_id": file_id, "file_unique_id": f"AgAD{n:08d}", "file_name": file_name,
                                "mime_type": mime_type, "content": content, "file_path": f"documents/file_{n}{ext}"}
        return file_id

    def file_content(self, file_id: str) -> bytes:
        return self._files[file_id]["content"]

    def send_raw(self, update: dict) -> dict:
        """Queue an update (update_id is assigned unless given) and wake the long poll."""
        update = {"update_id": next(self._update_ids), **update}
        self._queue.append(update)
        self.updates_sent.append(update)
        self._touch()
        return update

    def _from_user(self, user_id: int, extra: dict, language_code: str = "zh-hans",
                   first_name: str = "Resident", username: str | None = None) -> dict:
        user = {"id": user_id, "is_bot": False, "first_name": first_name, "language_code": language_code,
                **({"username": username} if username else {})}
        self._users[user_id] = user
        message = {"message_id": self._next_message_id(user_id), "date": int(time.time()),
                   "chat": self._chat_json(user_id), "from": user, **extra}
        return self.send_raw({"message": message})

    def send_text(self, user_id: int, text: str, *, language_code: str = "zh-hans",
                  first_name: str = "Resident", username: str | None = None) -> dict:
        """A private-chat text message; "/cmd ..." gets a bot_command entity like Telegram adds."""
        extra: dict = {"text": text}
        if text.startswith("/"):
            extra["entities"] = [{"type": "bot_command", "offset": 0, "length": utf16_len(text.split()[0])}]
        return self._from_user(user_id, extra, language_code, first_name, username)

    def _file_obj(self, content: bytes, file_name: str, mime_type: str | None) -> dict:
        rec = self._files[self.add_file(content, file_name, mime_type)]
        return {"file_id": rec["file_id"], "file_unique_id": rec["file_unique_id"], "file_size": len(content)}

    def send_photo(self, user_id: int, *, caption: str | None = None, **who: Any) -> dict:
        big = self._file_obj(b"\xff\xd8\xff\xe0fake-jpeg", "photo.jpg", "image/jpeg")
        photo = [{**big, "file_size": 10, "width": 90, "height": 90}, {**big, "width": 1280, "height": 960}]
        return self._from_user(user_id, {"photo": photo, **({"caption": caption} if caption else {})}, **who)

    def send_sticker(self, user_id: int, **who: Any) -> dict:
        sticker = {**self._file_obj(b"RIFFfake-webp", "sticker.webp", "image/webp"), "type": "regular",
                   "width": 512, "height": 512, "is_animated": False, "is_video": False, "emoji": "\U0001f44d"}
        return self._from_user(user_id, {"sticker": sticker}, **who)

    def send_voice(self, user_id: int, *, duration: int = 3, **who: Any) -> dict:
        voice = {**self._file_obj(b"OggSfake-opus", "voice.oga", "audio/ogg"), "duration": duration,
                 "mime_type": "audio/ogg"}
        return self._from_user(user_id, {"voice": voice}, **who)

    def send_document(self, user_id: int, content: bytes, file_name: str, mime_type: str = "application/octet-stream",
                      *, caption: str | None = None, **who: Any) -> dict:
        doc = {**self._file_obj(content, file_name, mime_type), "file_name": file_name, "mime_type": mime_type}
        return self._from_user(user_id, {"document": doc, **({"caption": caption} if caption else {})}, **who)

    def press(self, user_id: int, message_id: int, data: str, *, language_code: str = "zh-hans",
              first_name: str = "Resident", username: str | None = None, check: bool = True) -> dict:
        """The resident taps an inline button of the bot's message ``message_id`` in their chat."""
        msg = self._chats.get(user_id, {}).get(message_id)
        if msg is None:
            raise AssertionError(f"no bot message {message_id} in chat {user_id}:\n{self.dump(user_id)}")
        if check and data not in [d for _, d in self.buttons(msg)]:
            raise AssertionError(f"message {message_id} has no button with data {data!r}: {self.buttons(msg)}")
        user = {"id": user_id, "is_bot": False, "first_name": first_name, "language_code": language_code,
                **({"username": username} if username else {})}
        query_id = f"{user_id}{next(self._ids):08d}"
        self._callback_ids.add(query_id)
        return self.send_raw({"callback_query": {"id": query_id, "from": user, "message": self.message_json(msg),
                                                 "chat_instance": f"ci{user_id}", "data": data}})

    # ---------------------------------------------------------------- observing the bot
    def mark(self) -> int:
        """Take before injecting an update; pass as ``after=`` to the wait helpers."""
        return len(self.events)

    def messages(self, chat_id: int) -> list[dict]:
        """Current state of the bot's (undeleted) messages in the chat, oldest first."""
        return [m for _, m in sorted(self._chats.get(chat_id, {}).items())]

    def last_message(self, chat_id: int) -> dict | None:
        msgs = self.messages(chat_id)
        return msgs[-1] if msgs else None

    def get_commands(self, scope: dict | None = None, language_code: str = "") -> list[dict] | None:
        return self.commands.get((json.dumps(scope or {"type": "default"}, sort_keys=True), language_code))

    @staticmethod
    def buttons(message: dict | None) -> list[tuple[str, str | None]]:
        """(text, callback_data or url) per button; accepts a stored message, an event or a Message dict."""
        if message and "params" in message and "message" in message:   # an event
            message = message["message"] or {"reply_markup": message["params"].get("reply_markup")}
        markup = (message or {}).get("reply_markup") or {}
        rows = markup.get("inline_keyboard") or markup.get("keyboard") or []
        return [(b["text"], b.get("callback_data", b.get("url"))) if isinstance(b, dict) else (b, None)
                for row in rows for b in row]

    def button_data(self, message: dict | None, text_substring: str) -> str | None:
        for text, data in self.buttons(message):
            if text_substring in text:
                return data
        raise AssertionError(f"no button containing {text_substring!r}; buttons: {self.buttons(message)}")

    def dump(self, chat_id: int | None = None, last: int = 15) -> str:
        """Readable listing of the most recent events (of one chat if given)."""
        evs = [e for e in self.events if chat_id is None or e["chat_id"] == chat_id][-last:]
        lines = [f"  #{e['index']} {e['method']}" + (f" ERROR {e['error']}" if e["error"] else "")
                 + (f" text={e['params'].get('text', e['params'].get('caption'))!r}"
                    if e["params"].get("text", e["params"].get("caption")) else "")
                 + (f" buttons={self.buttons(e)}" if self.buttons(e) else "") for e in evs]
        return "\n".join(lines) or "  (no events)"

    async def wait_for_event(self, method: str | set[str], *, chat_id: int | None = None,
                             after: int | None = None, timeout: float = 5.0) -> dict:
        """First successful event of ``method`` (for ``chat_id`` if given) with index >= ``after``."""
        methods = {method} if isinstance(method, str) else set(method)
        found = await self._wait(lambda: next((e for e in self.events[after or 0:] if e["method"] in methods
                                               and not e["error"] and chat_id in (None, e["chat_id"])), None), timeout)
        if found is None:
            raise AssertionError(f"no {sorted(methods)} for chat {chat_id} after #{after or 0} within {timeout}s; "
                                 f"recent events:\n{self.dump(chat_id)}")
        return found

    async def wait_for_reply(self, chat_id: int, *, after: int | None = None, timeout: float = 5.0) -> dict:
        """First sendMessage/edit*/sendDocument/sendPhoto event for the chat with index >= ``after``."""
        return await self.wait_for_event(REPLY_METHODS, chat_id=chat_id, after=after, timeout=timeout)

    async def wait_until_idle(self, quiet: float = 0.2, timeout: float = 5.0) -> None:
        """Wait until no request arrived for ``quiet`` s, none is in progress and every update was fetched."""
        deadline = time.monotonic() + timeout
        while True:
            now = time.monotonic()
            busy = self._inflight > 0 or any(u["update_id"] > self._delivered_upto for u in self._queue)
            if not busy and now >= self._last_activity + quiet:
                return
            if now >= deadline:
                raise AssertionError(f"bot not idle after {timeout}s (in flight: {self._inflight}, queued: "
                                     f"{len(self._queue)}); recent events:\n{self.dump()}")
            step = deadline - now if busy else self._last_activity + quiet - now
            try:
                await asyncio.wait_for(self._changed.wait(), max(min(step, deadline - now), 0.001))
            except asyncio.TimeoutError:
                pass

    # ---------------------------------------------------------------- fault injection
    def enforce_rate(self, global_per_second: float | None, per_chat_per_second: float | None) -> None:
        """Refuse sendMessage with 429 (retry_after=1) beyond these rates, as Telegram does; None: no limit.

        Global: at most ``global_per_second`` accepted calls in any sliding one-second window.
        Per chat: at most N in one second (for N < 1: one per 1/N seconds). ``enforce_rate(None, None)``
        switches it off again. Refusals go to ``stub.rate_limited``.
        """
        for rate in (global_per_second, per_chat_per_second):
            if rate is not None and rate <= 0:
                raise ValueError(f"a rate must be positive, got {rate}")
        self._rate_global, self._rate_chat = global_per_second, per_chat_per_second
        self._sent_times.clear()
        self._chat_sent_times.clear()

    @staticmethod
    def _window(rate: float) -> tuple[float, int]:
        """(window in seconds, calls allowed in it) for a rate in calls per second."""
        return (1.0, int(rate + 1e-9)) if rate >= 1 else (1.0 / rate, 1)

    def _check_rate(self, params: dict) -> None:
        """Raise 429 if this sendMessage exceeds a limit; otherwise count it in the windows."""
        now = time.monotonic()
        try:
            chat_id: int | None = int(params["chat_id"])
        except (KeyError, ValueError, TypeError):
            chat_id = None
        scope = None
        if self._rate_global is not None:
            window, allowed = self._window(self._rate_global)
            while self._sent_times and self._sent_times[0] <= now - window:
                self._sent_times.popleft()
            if len(self._sent_times) >= allowed:
                scope = "global"
        chat_times = None
        if scope is None and self._rate_chat is not None and chat_id is not None:
            window, allowed = self._window(self._rate_chat)
            chat_times = self._chat_sent_times.setdefault(chat_id, deque())
            while chat_times and chat_times[0] <= now - window:
                chat_times.popleft()
            if len(chat_times) >= allowed:
                scope = "chat"
        if scope is not None:
            self.rate_limited.append({"chat_id": chat_id, "scope": scope, "time": now})
            raise BotAPIError(429, "Too Many Requests: retry after 1", retry_after=1)
        if self._rate_global is not None:
            self._sent_times.append(now)
        if chat_times is not None:
            chat_times.append(now)

    def inject_faults(self, fraction: float | dict[str, float], *, seed: int = 0,
                      methods: frozenset[str] | set[str] = FAULT_METHODS, kinds: tuple[str, ...] = FAULT_KINDS,
                      hold: float = 2.0, retry_after: int = 1) -> None:
        """Fail ``fraction`` of the calls of ``methods`` (or {method: fraction}) at random; see the docstring.

        ``hold`` must exceed the client's request timeout for "timeout" and "late" to time out.
        """
        fractions = fraction if isinstance(fraction, dict) else {m: fraction for m in methods}
        unknown = set(kinds) - set(FAULT_KINDS)
        if unknown or not kinds or not all(0 <= f <= 1 for f in fractions.values()):
            raise ValueError(f"kinds must be among {FAULT_KINDS} and fractions within 0..1: {kinds}, {fractions}")
        self._fault_plan = {"fractions": fractions, "seed": seed, "kinds": tuple(kinds), "hold": hold,
                            "retry_after": retry_after}
        self._fault_calls.clear()

    def stop_faults(self) -> None:
        self._fault_plan = None

    def _draw_fault(self, method: str, params: dict) -> dict | None:
        plan = self._fault_plan
        if plan is None or not plan["fractions"].get(method):
            return None
        chat = str(params.get("chat_id") or params.get("callback_query_id") or "")
        n = self._fault_calls[(method, chat)] = self._fault_calls.get((method, chat), 0) + 1
        rng = random.Random(f"{plan['seed']}|{method}|{chat}|{n}")
        if rng.random() >= plan["fractions"][method]:
            return None
        kind = rng.choice(plan["kinds"])
        if kind == "late" and method == "getUpdates":
            kind = "timeout"
        fault = {"method": method, "kind": kind, "chat_id": int(chat) if chat.lstrip("-").isdigit() else None,
                 "status": {"5xx": rng.choice((500, 502, 503)), "429": 429, "timeout": 504, "late": 200}[kind],
                 "message_id": None, "time": time.monotonic(), "hold": plan["hold"], "retry_after": plan["retry_after"]}
        if method == "getUpdates":   # the bot waits the long-poll timeout on top of its request timeout
            fault["hold"] += float(params.get("timeout") or 0)
        self.faults.append(fault)
        return fault

    async def _hold(self, seconds: float) -> None:
        """Keep a request waiting (past the client's timeout); stop() ends the wait."""
        await self._wait(lambda: self._closing, seconds)

    async def _fail(self, fault: dict, params: dict) -> None:
        if fault["kind"] == "429":
            seconds = fault["retry_after"]
            raise BotAPIError(429, f"Too Many Requests: retry after {seconds}", retry_after=seconds)
        if fault["kind"] == "timeout":
            await self._hold(fault["hold"])
            raise BotAPIError(504, "Gateway Timeout: held past the client's timeout, not carried out")
        raise BotAPIError(fault["status"], {500: "Internal Server Error", 502: "Bad Gateway",
                                            503: "Service Unavailable"}[fault["status"]])

    def fail_next(self, method: str, status: int = 500, description: str = "Internal Server Error",
                  retry_after: int | None = None, times: int = 1, chat_id: int | None = None) -> None:
        """Make the next ``times`` calls of ``method`` (for ``chat_id``, if given) fail; 429 always
        carries retry_after."""
        if status == 429:
            retry_after = retry_after or 1
            if description == "Internal Server Error":
                description = f"Too Many Requests: retry after {retry_after}"
        for _ in range(times):
            failure = BotAPIError(status, description, retry_after)
            failure.chat_id = chat_id
            self._failures.setdefault(method.lower(), []).append(failure)
