# Images for the upgrade-runbooks worker and chat-ops service.
#
#   docker build -t upgrade-runbooks .                      # worker (default target): node dist/worker.js
#   docker build --target chatops -t upgrade-runbooks-chatops .   # chat-ops only, no helm/kubectl
#
# The worker shells out to helm and kubectl (and pg_dump/psql for database backups), so its
# image carries them; the chat-ops service faces the internet (Slack calls it) and needs
# none of them, so its target leaves them out.
#
# helm and kubectl come from the `tools` stage, pinned by build args. By default it
# downloads the official release binaries and checks them against the published SHA-256
# (or against HELM_SHA256 / KUBECTL_SHA256 when given, which also guards against a
# compromised download site). Builds that must not download can replace the whole stage
# with an image they trust that has /usr/local/bin/helm and /usr/local/bin/kubectl:
#
#   docker buildx build --build-context tools=docker-image://registry.example/helm-kubectl:3.21.4-1.36.1 .
#
# (A named build context overrides the stage of the same name.)

# The Node.js line of scripts/versions.env NODE_VERSION, which the tests run on.
ARG NODE_IMAGE=node:24-bookworm-slim
# Keep in step with scripts/versions.env: the runbooks are tested against these.
ARG HELM_VERSION=3.21.4
ARG KUBECTL_VERSION=1.36.1

# ---- tools: pinned helm and kubectl -----------------------------------------------------
FROM ${NODE_IMAGE} AS tools
ARG HELM_VERSION
ARG KUBECTL_VERSION
ARG HELM_SHA256=""
ARG KUBECTL_SHA256=""
ARG TARGETARCH
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl \
 && rm -rf /var/lib/apt/lists/*
RUN set -eu; \
    arch="${TARGETARCH:-amd64}"; \
    cd /tmp; \
    curl -fsSLo helm.tar.gz "https://get.helm.sh/helm-v${HELM_VERSION}-linux-${arch}.tar.gz"; \
    sum="${HELM_SHA256:-$(curl -fsSL "https://get.helm.sh/helm-v${HELM_VERSION}-linux-${arch}.tar.gz.sha256sum" | cut -d' ' -f1)}"; \
    echo "${sum}  helm.tar.gz" | sha256sum -c -; \
    tar -xzf helm.tar.gz "linux-${arch}/helm"; \
    install -m 0755 "linux-${arch}/helm" /usr/local/bin/helm; \
    curl -fsSLo kubectl "https://dl.k8s.io/release/v${KUBECTL_VERSION}/bin/linux/${arch}/kubectl"; \
    sum="${KUBECTL_SHA256:-$(curl -fsSL "https://dl.k8s.io/release/v${KUBECTL_VERSION}/bin/linux/${arch}/kubectl.sha256")}"; \
    echo "${sum}  kubectl" | sha256sum -c -; \
    install -m 0755 kubectl /usr/local/bin/kubectl; \
    rm -rf /tmp/*; \
    helm version --short; \
    kubectl version --client

# ---- build: compile TypeScript ----------------------------------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY scripts/bundle-workflows.ts ./scripts/
# The workflow code as one file (dist/workflow-bundle.js): the worker loads it instead of
# bundling at start-up, which would cost seconds of CPU and webpack's memory in every pod.
RUN npm run build && npm run bundle

# ---- prod-deps: runtime node_modules only -------------------------------------------------
FROM ${NODE_IMAGE} AS prod-deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev --no-audit --no-fund

# ---- runtime-base: what both services share -----------------------------------------------
FROM ${NODE_IMAGE} AS runtime-base
# tini is PID 1: it forwards SIGTERM to node and reaps the helm/kubectl processes the
# worker starts (node as PID 1 reaps nothing).
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# package.json makes dist/*.js ES modules ("type": "module").
COPY package.json ./
# The `node` user (uid 1000) of the base image; the chart runs as this uid, read-only root.
USER 1000:1000
ENTRYPOINT ["/usr/bin/tini", "--"]

# ---- chatops: the slash-command service ---------------------------------------------------
FROM runtime-base AS chatops
# ssh-keygen signs decisions as a trusted relay when CHATOPS_SIGN_KEY names a key.
USER root
RUN apt-get update \
 && apt-get install -y --no-install-recommends openssh-client \
 && rm -rf /var/lib/apt/lists/*
USER 1000:1000
ENV CHATOPS_PORT=8080
EXPOSE 8080
CMD ["node", "dist/chatops/main.js"]

# ---- worker (default): the Temporal worker with helm, kubectl and the PostgreSQL client ---
FROM runtime-base AS worker
USER root
# Debian's postgresql-client (pg_dump, pg_restore, psql) for backups of external databases;
# pg_dump must be at least the server's major version. Build with PG_CLIENT_PACKAGE= to
# leave it out, or name another package (postgresql-client-17 from the PGDG repository).
ARG PG_CLIENT_PACKAGE=postgresql-client
RUN if [ -n "${PG_CLIENT_PACKAGE}" ]; then \
      apt-get update \
      && apt-get install -y --no-install-recommends "${PG_CLIENT_PACKAGE}" \
      && rm -rf /var/lib/apt/lists/*; \
    fi
COPY --from=tools /usr/local/bin/helm /usr/local/bin/kubectl /usr/local/bin/
# helm and kubectl keep caches under $HOME; the chart mounts a writable /tmp and points HOME there.
# NODE_OPTIONS: the worker's heap cap, src/worker/heap.ts says why (a test keeps them equal).
ENV HELM_BIN=/usr/local/bin/helm \
    KUBECTL_BIN=/usr/local/bin/kubectl \
    HOME=/tmp \
    NODE_OPTIONS="--max-old-space-size=256 --max-semi-space-size=8"
USER 1000:1000
CMD ["node", "dist/worker.js"]
