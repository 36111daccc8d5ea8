// One simulated Linux server behind an SSH server (ssh2's server side) on 127.0.0.1: public key or
// password authentication, and exec of exactly the collector's fixed commands.
import { timingSafeEqual } from 'node:crypto';
import ssh2, { type AuthContext, type Connection } from 'ssh2';
import type { Logger } from '../../common/log.js';
import { LAB_INVENTORY_COMMAND, LAB_PERF_COMMAND, LAB_SOCKETS_COMMAND, LAB_SOFTWARE_COMMAND } from './commands.js';
import type { Estate } from '../estate.js';
import { estateSocketsText, estateSoftwareText } from './guest-estate.js';
import { labSocketsText, labSoftwareText } from './guest.js';
import type { SimLinuxServer } from './world.js';

export interface LabSshUser {
  username: string;
  password?: string;
  /** The public key blob (SSH wire format) allowed for this user. */
  publicKey?: Buffer;
}

export interface ServerStats {
  connections: number;
  open: number;
  authFailures: number;
  /** User-auth requests of any method, "none" included: 0 means no credential was ever offered. */
  authAttempts: number;
  commands: number;
}

const same = (a: Buffer, b: Buffer) => a.length === b.length && timingSafeEqual(a, b);

export class LabSshServer {
  private server: ssh2.Server | null = null;
  private readonly clients = new Set<Connection>();
  readonly stats: ServerStats = { connections: 0, open: 0, authFailures: 0, authAttempts: 0, commands: 0 };
  /** The estate's other servers, for the guest reader's connection list (issue 12). */
  peers: { name: string; ip: string }[] = [];
  /** An estate with applications: the guest commands answer from its applications (lab/guest-world.ts). */
  estate: Estate | null = null;

  constructor(
    readonly sim: SimLinuxServer,
    private readonly hostKeyPem: string,
    private readonly users: LabSshUser[],
    private readonly clock: () => number,
    private readonly log?: Logger,
  ) {}

  private accepts(ctx: AuthContext): boolean {
    const user = this.users.find((u) => u.username === ctx.username);
    if (user && ctx.method === 'publickey' && user.publicKey) {
      const key = ssh2.utils.parseKey(user.publicKey);
      if (key instanceof Error || ctx.key.algo !== key.type || !same(ctx.key.data, key.getPublicSSH())) return false;
      // Without a signature the client only asks whether the key would do; with one, it proves possession.
      return !ctx.signature || key.verify(ctx.blob ?? Buffer.alloc(0), ctx.signature, ctx.hashAlgo) === true;
    }
    if (user && ctx.method === 'password' && user.password !== undefined)
      return same(Buffer.from(ctx.password), Buffer.from(user.password));
    return false;
  }

  private authenticate(ctx: AuthContext): void {
    this.stats.authAttempts++;
    if (this.accepts(ctx)) {
      ctx.accept();
      return;
    }
    if (ctx.method !== 'none') this.stats.authFailures++;
    ctx.reject(['publickey', 'password']);
  }

  /** The command's output: exact matches only. */
  answer(command: string): { stdout: string; stderr: string; code: number } {
    if (command === LAB_PERF_COMMAND) return { stdout: this.sim.perfText(this.clock()), stderr: '', code: 0 };
    if (command === LAB_INVENTORY_COMMAND) return { stdout: this.sim.inventoryText(), stderr: '', code: 0 };
    const name = this.sim.server.name;
    if (command === LAB_SOFTWARE_COMMAND)
      return {
        stdout: this.estate ? estateSoftwareText(this.estate, name) : labSoftwareText(this.sim.seed, this.sim.server),
        stderr: '',
        code: 0,
      };
    if (command === LAB_SOCKETS_COMMAND)
      return {
        stdout: this.estate
          ? estateSocketsText(this.estate, name, this.clock())
          : labSocketsText(this.sim.seed, this.sim.server, this.peers, this.clock()),
        stderr: '',
        code: 0,
      };
    return { stdout: '', stderr: `sh: 1: ${command.split(/\s+/)[0] ?? ''}: not found\n`, code: 127 };
  }

  listen(port: number): Promise<number> {
    const srv = new ssh2.Server({ hostKeys: [this.hostKeyPem], ident: 'OpenSSH_9.2p1 Debian-2+deb12u3 (lab)' }, (client) => {
      this.stats.connections++;
      this.stats.open++;
      this.clients.add(client);
      client.on('authentication', (ctx) => this.authenticate(ctx));
      client.on('ready', () => {
        client.on('session', (accept) => {
          const session = accept();
          session.on('exec', (acceptExec, _reject, info) => {
            const ch = acceptExec();
            this.stats.commands++;
            const r = this.answer(info.command);
            if (r.stdout) ch.write(r.stdout);
            if (r.stderr) ch.stderr.write(r.stderr);
            ch.exit(r.code);
            ch.end();
          });
        });
      });
      client.on('error', (err) => this.log?.debug({ server: this.sim.server.name, err: err.message }, 'lab linux: client error'));
      client.on('close', () => {
        this.stats.open--;
        this.clients.delete(client);
      });
    });
    this.server = srv;
    return new Promise((resolve, reject) => {
      srv.once('error', reject);
      srv.listen(port, '127.0.0.1', () => {
        const a = srv.address();
        resolve(typeof a === 'object' && a ? a.port : port);
      });
    });
  }

  async close(): Promise<void> {
    const srv = this.server;
    this.server = null;
    for (const c of this.clients) c.end();
    if (srv) await new Promise<void>((r) => srv.close(() => r()));
  }
}
