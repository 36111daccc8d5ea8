# The appliance as a container: `collector run` by default; docker-compose.yml runs the lab with it.
# Build: docker build -t assessment-collector .
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# `npm install` (honouring the lock), not `npm ci`: the registry serves only this platform's optional packages,
# so the lock cannot list every platform's and `npm ci` refuses it (the set-up scripts do the same).
RUN npm install --no-audit --no-fund --ignore-scripts
COPY . .
RUN npx tsc -p tsconfig.json && npm prune --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim
# redis-server: `collector lab up` without a Redis; tini: signals. (The self-signed certificate is made with node:crypto.)
RUN apt-get update \
 && apt-get install -y --no-install-recommends redis-server tini ca-certificates \
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
COPY --from=build /app/appliance/web/static ./appliance/web/static
USER collector
ENV NODE_ENV=production
EXPOSE 44368
VOLUME ["/var/lib/assessment-collector", "/etc/assessment-collector"]
# /healthz on the loopback, accepting the web app's self-signed certificate (bin/healthcheck.mjs says why that is safe);
# give the port as an argument when web.port is not 44368.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s CMD ["node", "/opt/assessment-collector/bin/healthcheck.mjs"]
ENTRYPOINT ["/usr/bin/tini", "--", "node", "/opt/assessment-collector/bin/collector.js"]
CMD ["run", "--config", "/etc/assessment-collector/config.yaml", "--log-format", "json"]
