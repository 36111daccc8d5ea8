// Azurite, Microsoft's Azure Storage emulator, as a child process on a free loopback port with its
// data in a temporary folder: stop() and start() again keep the blobs (an outage, not a wipe).
// Test-only.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BlobServiceClient,
  StorageSharedKeyCredential,
  generateBlobSASQueryParameters,
  BlobSASPermissions,
  type ContainerClient,
} from '@azure/storage-blob';

/** Azurite's well-known development account (documented by Microsoft; not a secret). */
export const AZURITE_ACCOUNT = 'devstoreaccount1';
export const AZURITE_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const c = net.connect(port, '127.0.0.1', () => {
        c.destroy();
        resolve(true);
      });
      c.on('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`Azurite did not listen on ${port}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export class Azurite {
  readonly location = mkdtempSync(join(tmpdir(), 'collector-azurite-'));
  port = 0;
  private child: ChildProcess | null = null;
  readonly credential = new StorageSharedKeyCredential(AZURITE_ACCOUNT, AZURITE_KEY);

  get url(): string {
    return `http://127.0.0.1:${this.port}/${AZURITE_ACCOUNT}`;
  }

  async start(): Promise<this> {
    if (!this.port) this.port = await freePort();
    const main = join(process.cwd(), 'node_modules/azurite/dist/src/blob/main.js');
    this.child = spawn(
      process.execPath,
      [
        main,
        '--blobHost',
        '127.0.0.1',
        '--blobPort',
        String(this.port),
        '--location',
        this.location,
        '--silent',
        '--skipApiVersionCheck',
        '--loose',
        '--disableTelemetry',
      ],
      { stdio: 'ignore' },
    );
    await waitForPort(this.port, 20_000);
    return this;
  }

  /** Stops the emulator (SIGTERM, so it writes its metadata out as a service stop would); the data folder stays. */
  async stop(): Promise<void> {
    const c = this.child;
    this.child = null;
    if (!c || c.exitCode !== null) return;
    await new Promise<void>((r) => {
      c.once('exit', () => r());
      c.kill('SIGTERM');
    });
  }

  service(): BlobServiceClient {
    return new BlobServiceClient(this.url, this.credential);
  }

  container(name: string): ContainerClient {
    return this.service().getContainerClient(name);
  }

  /** A SAS URI for one blob, signed with the account key, as Azure Migrate hands out (create + write). */
  sasFor(container: string, blob: string, ttlMs = 3600_000): string {
    const sas = generateBlobSASQueryParameters(
      {
        containerName: container,
        blobName: blob,
        permissions: BlobSASPermissions.parse('cw'),
        startsOn: new Date(Date.now() - 60_000),
        expiresOn: new Date(Date.now() + ttlMs),
      },
      this.credential,
    ).toString();
    return `${this.url}/${container}/${blob}?${sas}`;
  }

  async close(): Promise<void> {
    await this.stop();
    rmSync(this.location, { recursive: true, force: true });
  }
}
