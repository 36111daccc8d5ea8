import { z } from 'zod';
import { secretRef } from './common.js';

const sentinel = z
  .object({
    host: z.string().min(1, { error: 'expected the Sentinel host name or address' }),
    port: z.number().int().min(1).max(65535).default(26379),
  })
  .strict();

export const redisSettings = z
  .object({
    url: z
      .string()
      .regex(/^rediss?:\/\//, { error: 'expected a redis:// or rediss:// URL. Fix: e.g. redis://127.0.0.1:6379/0' })
      .default('redis://127.0.0.1:6379/0'),
    /** Every key this product writes starts with this prefix, so several installs can share one Redis. */
    prefix: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,40}$/, { error: 'expected letters, digits, ".", "_" or "-". Fix: e.g. collector' })
      .default('collector'),
    /** Redis AUTH password (kept out of the URL so it is never logged). */
    password: secretRef.optional(),
    /**
     * High availability through Redis Sentinel (ioredis asks the sentinels for the current master and
     * follows fail-overs). When set, `url` only supplies the database number and TLS (rediss://).
     */
    sentinels: z
      .array(sentinel)
      .min(1, { error: 'expected at least one sentinel. Fix: list { host, port } entries or remove the key' })
      .optional(),
    /** The master group name the sentinels monitor (sentinel.conf "sentinel monitor <name> ..."). */
    sentinelMasterName: z.string().min(1).default('mymaster'),
    sentinelPassword: secretRef.optional(),
  })
  .strict()
  .default({ url: 'redis://127.0.0.1:6379/0', prefix: 'collector', sentinelMasterName: 'mymaster' });

export const rollupSettings = z
  .object({
    /** How long 10-minute points are kept in Redis. */
    retentionDays: z.number().int().min(1).max(400).default(31),
    /** Sample batches a worker processes at once. */
    workerConcurrency: z.number().int().min(1).max(64).default(4),
    /** How often a worker looks for jobs whose worker died (BullMQ stalled-job check). */
    stalledIntervalSec: z.number().min(0.5).max(600).default(30),
    /** A job's lock lifetime; a worker that stops renewing it (killed) gives its job back after this. */
    lockDurationSec: z.number().min(1).max(600).default(30),
    /** Rolling up a batch again is harmless (max and bitwise OR), so a stalled job may be retried many times. */
    maxStalledCount: z.number().int().min(1).max(100_000).default(1000),
    /** Attempts for a job whose processing throws (e.g. Redis away mid-job); then it is kept as failed. */
    jobAttempts: z.number().int().min(1).max(1000).default(50),
    /**
     * Hours after a UTC day ends before its points are sealed (8 -> 5 bytes per window; peaks stay exact,
     * sample counts of samples arriving later become a lower bound). Must exceed the lateness you expect
     * (vCenter backfill: 1 hour). 0 = never seal.
     */
    sealAfterHours: z
      .number()
      .min(0)
      .max(24 * 400)
      .default(6),
    /** Samples held in memory per process while Redis is unreachable; past it the oldest batches are dropped. */
    bufferMaxSamples: z.number().int().min(1000).max(100_000_000).default(5_000_000),
    /**
     * The on-disk spool for samples collected while Redis is away (docs/pipeline.md): default <web.dataDir>/spool
     * next to the config file. Each collecting process needs its own.
     */
    spoolDir: z.string().min(1).optional(),
    /** Bound of the spool; past it the oldest spooled samples are dropped. 0 = no spool (memory buffer only). */
    spoolMaxBytes: z
      .number()
      .int()
      .min(0)
      .max(2 ** 40, { error: 'expected at most 1 TiB. Fix: e.g. 1073741824 (1 GiB)' })
      .refine((n) => n === 0 || n >= 2 ** 20, { error: 'expected 0 (no spool) or at least 1048576 (1 MiB). Fix: e.g. 1073741824 (1 GiB)' })
      .default(2 ** 30),
  })
  .strict()
  .default({
    retentionDays: 31,
    workerConcurrency: 4,
    stalledIntervalSec: 30,
    lockDurationSec: 30,
    maxStalledCount: 1000,
    jobAttempts: 50,
    sealAfterHours: 6,
    bufferMaxSamples: 5_000_000,
    spoolMaxBytes: 2 ** 30,
  });
