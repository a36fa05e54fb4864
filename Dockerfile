# Espresso: one image for the web process, the worker and migrations.
FROM python:3.12-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 ESPRESSO_DATA_DIR=/data
WORKDIR /app
COPY pyproject.toml README.md ./
COPY federation ./federation
COPY directory ./directory
COPY web ./web
COPY migrations ./migrations
RUN pip install --no-cache-dir . && useradd --system --home /data espresso && mkdir -p /data && chown espresso /data
USER espresso
VOLUME ["/data"]
EXPOSE 8000
CMD ["espresso", "serve", "--host", "0.0.0.0", "--port", "8000"]
