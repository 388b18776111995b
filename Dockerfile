# comms-sandbox as a container: `make image` builds it (CONTRACT.md section 9).
#
# The package and its dependencies come from a wheelhouse built on the host beforehand
# (`make wheelhouse`, into dist/wheelhouse), so building the image needs no network. The
# wheels are built for the host's Python: BASE must carry the same Python minor version
# (the official python:3.11-slim by default; `make image BASE=...` for another, e.g. the one
# ../shared/tools/local-base-image builds from Debian's packages).
ARG BASE=python:3.11-slim
FROM ${BASE}

COPY dist/wheelhouse /tmp/wheelhouse
RUN python3 -m venv /opt/comms-sandbox \
    && /opt/comms-sandbox/bin/pip install --no-cache-dir --no-index \
         --find-links /tmp/wheelhouse 'comms-sandbox[postgres]' \
    && /opt/comms-sandbox/bin/pip uninstall --quiet --yes pip setuptools \
    && rm -rf /tmp/wheelhouse \
    && useradd --system --uid 10001 --user-group --home-dir /data --no-create-home sandbox \
    && mkdir -p /data \
    && chown sandbox:sandbox /data

# Configuration is the environment's: HOST, PORT, DATA_DIR, SANDBOX_OUTBOX_RETENTION,
# SANDBOX_FSYNC (1 to fsync every acknowledged write), SANDBOX_CONTROL_TOKEN,
# SANDBOX_DATABASE_URL (the tenants in PostgreSQL instead of DATA_DIR: compose.yaml's `scale`
# profile; the image carries the `postgres` extra, psycopg 3 with its libpq, ~13 MB).
ENV PATH=/opt/comms-sandbox/bin:$PATH \
    HOST=0.0.0.0 \
    PORT=8000 \
    DATA_DIR=/data \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1

USER 10001:10001
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=5s --timeout=3s --start-period=10s --retries=3 \
    CMD ["comms-sandbox", "health"]
ENTRYPOINT ["comms-sandbox"]
CMD ["serve"]
