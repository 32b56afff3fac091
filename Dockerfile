# The product's image: worker (and, as they arrive, API and inbound mail) share it.
FROM node:20.20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY . .
USER node
CMD ["node_modules/.bin/tsx", "worker/main.ts"]
