# MarketLounge Workbench — one image for every service of docker-compose.yml (api, workbench,
# jupyter, scheduler); the command picks the role. Untested here: no Docker engine runs on the
# development machines (see the README's "Deployment").
#
#   docker build -t marketlounge .
#   docker run --rm -e DATABASE_URL=postgresql://… marketlounge marketlounge demo
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    TOKENIZERS_PARALLELISM=false

WORKDIR /app

# torch first, from PyTorch's CPU-only index: a bare `pip install torch` pulls the CUDA
# wheels (several GB). This layer is cached while only the code changes.
RUN pip install --index-url https://download.pytorch.org/whl/cpu "torch==2.13.0"

# The project, editable so that data/sample, notebooks/ and workbench/ resolve from /app;
# the extra index lets pip keep the CPU torch above. The "lab" extra brings JupyterLab.
COPY . /app
RUN pip install --extra-index-url https://download.pytorch.org/whl/cpu -e ".[lab]" \
    && useradd --create-home --uid 1000 app \
    && mkdir -p /app/runs /app/faiss_index /app/data \
    && chown -R app:app /app/runs /app/faiss_index /app/data

USER app
EXPOSE 8000 8501 8888

# The API by default; docker-compose.yml gives each service its own command.
CMD ["marketlounge", "serve", "api", "--host", "0.0.0.0", "--port", "8000"]
