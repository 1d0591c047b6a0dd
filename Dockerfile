# syntax=docker/dockerfile:1
# The app as `npm run build` compiles it and `npm run start:built` runs it, on a slim Node 20.
# Build: docker build -t identity-approvals-slack .   Run several: see compose.yaml and README.md.
ARG NODE_IMAGE=node:20-bookworm-slim

# Compiles src/ to dist/ with tsc (dev dependencies are needed here only).
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# Production dependencies only, from the same lock file.
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
# The code stays root's and read-only to the app; only data/ (embedded PGlite, when
# DATABASE_URL is not PostgreSQL) is writable by it.
COPY package.json ./
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY migrations ./migrations
RUN mkdir data && chown node:node data
USER node
EXPOSE 3000
# The app drains on SIGTERM for at most 8 s (src/main.ts), inside Docker's default 10 s stop timeout.
STOPSIGNAL SIGTERM
# The slim image has no curl: Node's own fetch asks /healthz (200 when the database answers).
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# The node flags of `npm run start:built` (test/deploy/image.test.ts keeps them equal).
CMD ["node", "--enable-source-maps", "--max-old-space-size=128", "dist/main.js"]
