#!/usr/bin/env bash
# Tests need a real Redis on 127.0.0.1:6379 (each test uses its own database number or key prefix).
set -euo pipefail
if redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then exit 0; fi
echo "starting redis-server on 127.0.0.1:6379" >&2
mkdir -p /tmp/collector-redis
redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no --dir /tmp/collector-redis --logfile /tmp/collector-redis/redis.log
for _ in $(seq 1 50); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && exit 0; sleep 0.1; done
echo "redis-server did not start; see /tmp/collector-redis/redis.log" >&2
exit 1
