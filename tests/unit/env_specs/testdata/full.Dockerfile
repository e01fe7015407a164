# Rendered by the vpe builder 1 for environment full; do not edit.
FROM vpe/debian:bookworm
USER root
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3 python3-pip curl=7.88.1-10+deb12u5 && rm -rf /var/lib/apt/lists/*
RUN PIP_BREAK_SYSTEM_PACKAGES=1 python3 -m pip install --no-cache-dir --disable-pip-version-check 'requests==2.31.0' 'pandas[performance]>=2.1,<3'
COPY files/0/ /opt/full/
COPY files/1/main.py /usr/local/bin/full-main
RUN python3 -m compileall -q /opt/full
RUN ln -s /opt/full/main.py /usr/local/bin/full
RUN mkdir -p /vpe/out && chown 65534:65534 /vpe/out && chmod 0755 /vpe/out
VOLUME /vpe/out
ENV GREETING="say \"hi\"" \
    PATH="/opt/full/bin:$PATH" \
    PYTHONUNBUFFERED="1" \
    VPE_RESULT=/vpe/out/result.json
WORKDIR /opt/full
USER 65534:65534
