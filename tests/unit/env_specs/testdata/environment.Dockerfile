# Rendered by the vpe builder 1 for conda environment forecast; do not edit.
FROM mambaorg/micromamba:1.5.8
USER root
ENV MAMBA_ROOT_PREFIX=/opt/conda
COPY environment.yml /tmp/vpe-environment.yml
RUN micromamba install --yes --name base --file /tmp/vpe-environment.yml && micromamba clean --all --yes && rm /tmp/vpe-environment.yml
RUN mkdir -p /vpe/out && chown 65534:65534 /vpe/out && chmod 0755 /vpe/out
VOLUME /vpe/out
ENV PATH="/opt/conda/bin:$PATH" \
    VPE_RESULT=/vpe/out/result.json
WORKDIR /
USER 65534:65534
