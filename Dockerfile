# One image for the operator and every agent role.
#   operator:    logswarm-operator            (kopf, reconciles AgentPool / Incident / Remediation)
#   agent role:  logswarm agent --role ROLE   (serves the role's contract over HTTP)
#   batch job:   logswarm analyze PATHS...
# Multi-stage: wheels are built in the first stage, the runtime stage is slim and non-root.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY src ./src
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
RUN useradd --uid 65532 --create-home --shell /usr/sbin/nologin logswarm
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
USER 65532:65532
WORKDIR /home/logswarm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
ENTRYPOINT ["logswarm"]
CMD ["--help"]
