import { z } from 'zod';

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
  })
  .strict()
  .default({ url: 'redis://127.0.0.1:6379/0', prefix: 'collector' });

export const rollupSettings = z
  .object({
    /** How long 10-minute points are kept in Redis. */
    retentionDays: z.number().int().min(1).max(400).default(31),
    /** Sample batches a worker processes at once. */
    workerConcurrency: z.number().int().min(1).max(64).default(4),
  })
  .strict()
  .default({ retentionDays: 31, workerConcurrency: 4 });
