# Rendered by the vpe builder 1 for environment ingestion; do not edit.
FROM vpe/debian:bookworm
USER root
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3 python3-pandas && rm -rf /var/lib/apt/lists/*
COPY files/0/ /opt/pipeline/
RUN python3 -m compileall -q /opt/pipeline
RUN mkdir -p /data && chown 65534:65534 /data
RUN mkdir -p /vpe/out && chown 65534:65534 /vpe/out && chmod 0755 /vpe/out
VOLUME /vpe/out
ENV DATA_DIR="/data" \
    PYTHONUNBUFFERED="1" \
    VPE_RESULT=/vpe/out/result.json
WORKDIR /opt/pipeline
USER 65534:65534
