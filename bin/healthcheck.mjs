#!/usr/bin/env node
// The container's HEALTHCHECK: GET https://127.0.0.1:<port>/healthz and exit 0 on 200, 1 otherwise.
//   node bin/healthcheck.mjs [port]        (port: the config's web.port, 44368 by default)
// The web app serves a self-signed certificate unless web.certFile is set, so the certificate is not
// verified here. That is safe because the host is fixed to this machine's loopback (nothing from the
// config or the network picks it) and the request carries no credentials; /healthz needs no session.
import { request } from 'node:https';

const port = Number(process.argv[2] ?? 44368);
if (!Number.isInteger(port) || port < 1 || port > 65535) {
  console.error(`healthcheck: ${JSON.stringify(process.argv[2])} is not a port number`);
  process.exit(2);
}

const req = request({ host: '127.0.0.1', port, path: '/healthz', method: 'GET', rejectUnauthorized: false, timeout: 4000 }, (res) => {
  res.resume();
  if (res.statusCode !== 200) console.error(`healthcheck: /healthz answered HTTP ${res.statusCode}`);
  process.exit(res.statusCode === 200 ? 0 : 1);
});
req.on('timeout', () => req.destroy(new Error('no answer within 4 s')));
req.on('error', (err) => {
  console.error(`healthcheck: https://127.0.0.1:${port}/healthz: ${err.message}`);
  process.exit(1);
});
req.end();
