# ClinicDesk container image: one image for the app servers, the task workers and one-off
# commands (migrate, createstaff, backup). docs/deployment.md explains how to build and run it;
# compose.yaml runs a whole group practice with it.
# Debian 12 (bookworm), whose PostgreSQL client is 15, the major version compose.yaml runs.
FROM python:3.11-slim-bookworm

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PATH=/app/.venv/bin:$PATH \
    CLINICDESK_ENV=production \
    CLINICDESK_VAR_DIR=/data/var \
    CLINICDESK_STATIC_ROOT=/app/static

# pg_dump and pg_restore for `clinicdesk backup` / `restore` (docs/backup-and-restore.md).
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-client-15 \
    && rm -rf /var/lib/apt/lists/*

# The same steps as `make install`: a venv, uv inside it, then exactly what uv.lock pins
# (without the development tools). The dependencies come first, so that a code change does
# not reinstall them.
WORKDIR /app
RUN python -m venv .venv \
    && .venv/bin/python -m pip install --quiet --disable-pip-version-check uv
COPY pyproject.toml uv.lock README.md ./
RUN UV_PROJECT_ENVIRONMENT=.venv .venv/bin/uv sync --frozen --inexact --no-dev --no-install-project --python .venv/bin/python
COPY manage.py ./
COPY clinicdesk ./clinicdesk
RUN UV_PROJECT_ENVIRONMENT=.venv .venv/bin/uv sync --frozen --inexact --no-dev --python .venv/bin/python

# Static files are collected (hashed names, compressed) into the image. The keys here only let
# the settings load for this one command; they are not secrets and are not in the final
# environment.
RUN CLINICDESK_SECRET_KEY=collectstatic-only \
    CLINICDESK_ENCRYPTION_KEYS=k0:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= \
    CLINICDESK_BLIND_INDEX_KEY=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= \
    DATABASE_URL=sqlite:////tmp/collectstatic.sqlite3 \
    clinicdesk collectstatic --no-input --verbosity 0

# Never run as root. /data holds what app servers and workers share (uploads being imported,
# backups, the audit anchor file); /app/static is rewritten by `serve` at start.
RUN groupadd --system --gid 10001 clinicdesk \
    && useradd --system --uid 10001 --gid clinicdesk --home-dir /app --no-create-home --shell /usr/sbin/nologin clinicdesk \
    && mkdir -p /data/var \
    && chown -R clinicdesk:clinicdesk /data /app/static
USER clinicdesk
VOLUME ["/data"]
EXPOSE 8000

# An app server. A task worker runs the same image with `clinicdesk worker`.
CMD ["clinicdesk", "serve", "--no-worker", "--bind", "0.0.0.0:8000"]
