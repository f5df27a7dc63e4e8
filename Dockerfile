# Yijian in a container: `docker build -t yijian .`, then see compose.yaml and README "For production".
FROM python:3.11-slim

# The statistics chart draws Chinese labels: a CJK font is the only system package needed
# (every Python dependency ships a wheel). Debian's stable archive pins the version for us.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends fonts-wqy-microhei \
    && rm -rf /var/lib/apt/lists/*

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# The sources are installed, not run in place: the bot runs from /var/lib/yijian, where
# `python -m bot` finds the installed package and the default SQLite path ./data/ is a volume.
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot/ bot/
COPY drafts/ drafts/
COPY handlers/ handlers/
COPY storage/ storage/
RUN pip install --no-cache-dir .

# Compiled now, as root: the installed package is read-only for the bot's user at run time.
WORKDIR /var/lib/yijian
RUN python -c "from bot.i18n import compile_catalogues; compile_catalogues()"

COPY deploy/healthcheck.py /usr/local/lib/yijian/healthcheck.py
RUN useradd --system --uid 10001 --user-group --home-dir /var/lib/yijian --shell /usr/sbin/nologin yijian \
    && mkdir -p /var/lib/yijian/data \
    && chown -R yijian:yijian /var/lib/yijian
# Numeric, so the host and Kubernetes' runAsNonRoot can tell it is not root.
USER 10001:10001
# matplotlib's font cache, built once here instead of at the first chart.
RUN python -c "import matplotlib.font_manager"

# Only the SQLite default writes here; with DATABASE_URL=postgresql+asyncpg://… it stays empty.
VOLUME ["/var/lib/yijian/data"]
# The webhook server (WEBHOOK_PORT): Telegram's updates and GET /healthz.
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "/usr/local/lib/yijian/healthcheck.py"]
CMD ["python", "-m", "bot"]
