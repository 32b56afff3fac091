# The product's image: the worker, the API, the inbound mail service and the set-up step share it.
# Node 24 LTS; the code is compiled once here (`npm run build`: dist/ and the workflow bundle) and
# runs under plain node, with production dependencies only (no tsx, TypeScript, MailDev or tests).
ARG NODE_IMAGE=node:24.21.0-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build

FROM ${NODE_IMAGE}
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY bin ./bin
USER node
# The worker's heap limit (worker/heap.ts): 1 GiB of RSS however many disputes are open.
CMD ["node", "--max-old-space-size=384", "--max-semi-space-size=16", "dist/worker/main.js"]
