# The appliance as a container: `collector run` by default; docker-compose.yml runs the lab with it.
# Build: docker build -t assessment-collector .
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY . .
RUN npx tsc -p tsconfig.json && npm prune --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim
# openssl: the web app's self-signed certificate; redis-server: `collector lab up` without a Redis; tini: signals.
RUN apt-get update \
 && apt-get install -y --no-install-recommends openssl redis-server tini ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --home-dir /var/lib/assessment-collector --create-home --shell /usr/sbin/nologin collector \
 && mkdir -p /etc/assessment-collector && chown collector:collector /etc/assessment-collector
WORKDIR /opt/assessment-collector
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/bin ./bin
COPY --from=build /app/lab/estates ./lab/estates
COPY --from=build /app/assessment/catalog ./assessment/catalog
COPY --from=build /app/schemas ./schemas
USER collector
ENV NODE_ENV=production
EXPOSE 44368
VOLUME ["/var/lib/assessment-collector", "/etc/assessment-collector"]
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s CMD node -e "fetch('https://127.0.0.1:44368/healthz').catch(()=>process.exit(1))" || exit 1
ENTRYPOINT ["/usr/bin/tini", "--", "node", "/opt/assessment-collector/bin/collector.js"]
CMD ["run", "--config", "/etc/assessment-collector/config.yaml", "--log-format", "json"]
