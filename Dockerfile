# devops-agent daemon image: `agent watch` with the pinned lock and the packaged default policy.
# Build: docker build -t devops-agent .
# Run:   docker run -e GITHUB_TOKEN -e AGENT_WEBHOOK_SECRET -p 127.0.0.1:8787:8787 \
#          -v devops-agent-home:/var/lib/devops-agent devops-agent --repo OWNER/NAME
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HF_HUB_OFFLINE=1 \
    AGENT_HOME=/var/lib/devops-agent

RUN groupadd --system --gid 10001 agent \
    && useradd --system --uid 10001 --gid agent --home-dir /var/lib/devops-agent --create-home agent

WORKDIR /opt/devops-agent
COPY requirements.lock ./
# The CPU build of torch first: the default index would pull several GB of CUDA libraries.
RUN pip install --index-url https://download.pytorch.org/whl/cpu torch==2.13.0 \
    && pip install -r requirements.lock
COPY pyproject.toml README.md policies.yaml ./
COPY agent ./agent
COPY tools ./tools
COPY guides ./guides
COPY prompts ./prompts
RUN pip install --no-deps . && agent --help > /dev/null

USER agent:agent
VOLUME ["/var/lib/devops-agent"]
EXPOSE 8787
HEALTHCHECK --interval=30s --timeout=5s CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8787/healthz', timeout=4)"]
ENTRYPOINT ["agent", "watch", "--host", "0.0.0.0", "--webhook-port", "8787"]
CMD ["--help"]
