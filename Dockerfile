# Charterdesk's image: `charterdesk bot` (webhook mode when WEBHOOK_URL is set), `charterdesk scheduler`,
# `charterdesk run`. Migrations run at every start (scripts/container-start.sh), then the command.
#   docker build -t charterdesk . && docker compose up -d     (see docker-compose.yml and .env.example)
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# A fixed uid, so the key volume keeps one owner across image rebuilds.
RUN useradd --create-home --uid 10001 --shell /usr/sbin/nologin charterdesk \
    && mkdir -p /var/lib/charterdesk/keys \
    && chown -R charterdesk:charterdesk /var/lib/charterdesk \
    && chmod 700 /var/lib/charterdesk/keys

WORKDIR /app
# Dependencies first (this layer is rebuilt only when pyproject.toml changes): install the
# project's requirements from an empty skeleton of its packages.
COPY pyproject.toml README.md ./
RUN for package in charterdesk desk conversation infra nlu bot scheduler sandbox; do mkdir -p $package && touch $package/__init__.py; done \
    && pip install . \
    && pip uninstall -y charterdesk \
    && rm -rf charterdesk desk conversation infra nlu bot scheduler sandbox build *.egg-info

COPY . .
# Editable: domain.yml, the charters and nlu/data are read from beside the packages (/app), as in a checkout.
RUN pip install --no-deps -e . && chmod 755 scripts/container-start.sh

USER charterdesk
ENV CHARTER_FILE=/app/charter.yml \
    CHARTERDESK_KEY_FILE=/var/lib/charterdesk/keys/charterdesk.key \
    CHARTERDESK_LOG_FORMAT=json

ENTRYPOINT ["/app/scripts/container-start.sh"]
CMD ["charterdesk", "bot"]
