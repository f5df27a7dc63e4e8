"""Container health probe: GET /healthz on the webhook server; exit 0 when it answers 200.

Reads the same environment variables as bot/config.py (WEBHOOK_URL, WEBHOOK_HOST, WEBHOOK_PORT)
but imports nothing of the bot, so a probe costs a bare interpreter start. In long-polling mode
(WEBHOOK_URL empty) there is no server to ask: the probe reports healthy and the container's
restart policy watches the process itself.
"""

from __future__ import annotations

import os
import sys
import urllib.request

TIMEOUT_SECONDS = 4.0  # below the HEALTHCHECK --timeout, so the probe reports instead of being killed


def probe_url(environ: dict[str, str]) -> str | None:
    if not environ.get("WEBHOOK_URL", "").strip():
        return None
    host = environ.get("WEBHOOK_HOST", "").strip() or "0.0.0.0"
    if host in {"0.0.0.0", "::", "[::]"}:  # listening everywhere: loopback reaches it
        host = "127.0.0.1"
    elif ":" in host and not host.startswith("["):
        host = f"[{host}]"
    port = environ.get("WEBHOOK_PORT", "").strip() or "8080"
    return f"http://{host}:{port}/healthz"


def main() -> int:
    url = probe_url(dict(os.environ))
    if url is None:
        return 0
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_SECONDS) as response:
            healthy = response.status == 200
    except OSError as error:  # refused, timed out, or an HTTP error status (urllib's HTTPError)
        print(f"unhealthy: {url}: {error}", file=sys.stderr)
        return 1
    return 0 if healthy else 1


if __name__ == "__main__":
    sys.exit(main())
