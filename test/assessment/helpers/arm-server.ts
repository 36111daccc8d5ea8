// A local Azure Resource Manager for Microsoft.OffAzure importSites on 127.0.0.1 (HTTPS with the lab
// PKI), speaking ARM's wire format: bearer token checked (audience = this endpoint), api-version
// checked on every call, `{ error: { code, message } }` bodies, 429 with Retry-After, a PUT that
// runs as a long-running operation (Azure-AsyncOperation). importUri hands out SAS URIs signed for
// Azurite's account; the import job reads the blob back from Azurite and checks the CSV's rows.
// Test-only.
import { randomUUID } from 'node:crypto';
import type http from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import { parse } from 'csv-parse/sync';
import type { Azurite } from './azurite.js';
import { closeServer, json, listen, readBody, trackSockets, type TestPki, type TokenServer } from './azure-lab.js';

export interface ArmFault {
  /** Matched against `${method} ${path}` (path without query). */
  match: RegExp;
  status: number;
  code?: string;
  retryAfter?: string;
  /** How many matching requests get it (default 1). */
  times?: number;
}

export interface ArmCall {
  method: string;
  path: string;
  apiVersion: string | null;
  status: number;
  at: number;
}

export interface FakeImportJob {
  name: string;
  site: string;
  blobName: string;
  importType: string;
  polls: number;
  status: string;
  errors: { rowNumber: number; errorCode: string; errorMessage: string }[];
  imported: number;
}

export class ArmServer {
  url = '';
  readonly calls: ArmCall[] = [];
  readonly jobs: FakeImportJob[] = [];
  readonly sites = new Set<string>();
  faults: ArmFault[] = [];
  /** Role assignment missing: every call answers 403 AuthorizationFailed. */
  denied = false;
  revokedBeforeMs = 0;
  /** Called for every request before it is answered (tests revoke tokens mid-run from here). */
  onCall: ((c: ArmCall) => void) | null = null;
  readonly container = 'migrate-imports';
  private server!: https.Server;
  private sockets!: Set<Socket>;
  private readonly operations = new Map<string, { polls: number; site: string }>();

  constructor(
    private readonly pki: TestPki,
    private readonly tokens: TokenServer,
    private readonly azurite: Azurite,
    readonly opts: { subscriptionId: string; resourceGroup: string; location?: string; apiVersion?: string },
  ) {}

  get importJobs(): number {
    return this.jobs.length;
  }

  async start(): Promise<this> {
    this.server = https.createServer({ key: this.pki.serverKey, cert: this.pki.serverCert }, (req, res) => {
      this.handle(req, res).catch((err) => json(res, 500, { error: { code: 'InternalServerError', message: String(err) } }));
    });
    this.sockets = trackSockets(this.server);
    this.url = `https://127.0.0.1:${await listen(this.server)}`;
    await this.azurite.container(this.container).createIfNotExists();
    return this;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const body = await readBody(req);
    const url = new URL(req.url ?? '/', this.url);
    const path = url.pathname;
    const method = req.method ?? 'GET';
    const apiVersion = url.searchParams.get('api-version');
    const call: ArmCall = { method, path, apiVersion, status: 0, at: Date.now() };
    this.calls.push(call);
    this.onCall?.(call);
    const send = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
      call.status = status;
      json(res, status, payload, headers);
    };
    const fail = (status: number, code: string, message: string, headers: Record<string, string> = {}) =>
      send(status, { error: { code, message } }, headers);

    // Authentication first, as ARM does.
    const m = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '');
    const check = m ? this.tokens.verifyToken(m[1]!, this.url, this.revokedBeforeMs) : { ok: false as const, problem: 'missing' };
    if (!check.ok) {
      return fail(
        401,
        m ? 'ExpiredAuthenticationToken' : 'AuthenticationFailed',
        m ? `The access token is invalid: ${check.problem}.` : "Authentication failed. The 'Authorization' header is missing.",
        { 'www-authenticate': 'Bearer authorization_uri="x", error="invalid_token"' },
      );
    }
    if (!apiVersion)
      return fail(400, 'MissingApiVersionParameter', 'The api-version query parameter (?api-version=) is required for all requests.');
    const fault = this.faults.find((f) => f.match.test(`${method} ${path}`));
    if (fault) {
      fault.times = (fault.times ?? 1) - 1;
      if (fault.times <= 0) this.faults.splice(this.faults.indexOf(fault), 1);
      return fail(
        fault.status,
        fault.code ?? (fault.status === 429 ? 'TooManyRequests' : 'InternalServerError'),
        `injected ${fault.status}`,
        fault.retryAfter ? { 'retry-after': fault.retryAfter } : {},
      );
    }
    if (this.denied) {
      return fail(
        403,
        'AuthorizationFailed',
        `The client 'x' with object id 'y' does not have authorization to perform action 'Microsoft.OffAzure/importSites/read' over scope '${path}' or the scope is invalid.`,
      );
    }
    const { subscriptionId: sub, resourceGroup: rg } = this.opts;
    const seg =
      /^\/subscriptions\/([^/]+)(?:\/resourceGroups\/([^/]+)(?:\/providers\/Microsoft\.OffAzure\/importSites\/([^/]+)(\/.*)?)?)?$/i.exec(
        path,
      );
    const opMatch = /^\/providers\/Microsoft\.OffAzure\/locations\/[^/]+\/operationStatuses\/([^/]+)$/i.exec(path);
    if (opMatch) {
      const op = this.operations.get(opMatch[1]!);
      if (!op) return fail(404, 'NotFound', 'no such operation');
      op.polls += 1;
      if (op.polls < 2) return send(200, { id: path, status: 'InProgress' }, { 'retry-after': '0' });
      this.sites.add(op.site);
      return send(200, { id: path, status: 'Succeeded' });
    }
    if (!seg) return fail(404, 'InvalidResourceType', `no route for ${path}`);
    const [, s, g, site, rest] = seg;
    if (s !== sub) return fail(404, 'SubscriptionNotFound', `The subscription '${s}' could not be found.`);
    if (!g) return fail(404, 'InvalidResourceType', 'no route');
    if (g.toLowerCase() !== rg.toLowerCase()) return fail(404, 'ResourceGroupNotFound', `Resource group '${g}' could not be found.`);
    if (!site) {
      if (apiVersion !== '2021-04-01')
        return fail(400, 'InvalidApiVersionParameter', `The api-version '${apiVersion}' is invalid for resource groups here.`);
      return send(200, { id: path, name: rg, location: this.opts.location ?? 'westus2', properties: { provisioningState: 'Succeeded' } });
    }
    if (apiVersion !== (this.opts.apiVersion ?? '2023-06-06')) {
      return fail(
        400,
        'InvalidApiVersionParameter',
        `The api-version '${apiVersion}' is invalid. The supported versions are '2023-06-06'.`,
      );
    }
    const siteId = `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.OffAzure/importSites/${site}`;
    if (!rest) {
      if (method === 'GET') {
        if (!this.sites.has(site))
          return fail(
            404,
            'ResourceNotFound',
            `The Resource 'Microsoft.OffAzure/importSites/${site}' under resource group '${rg}' was not found.`,
          );
        return send(200, {
          id: siteId,
          name: site,
          type: 'Microsoft.OffAzure/importSites',
          location: this.opts.location ?? 'westus2',
          properties: { provisioningState: 'Succeeded' },
        });
      }
      if (method === 'PUT') {
        const b = JSON.parse(body.toString('utf8') || '{}') as { location?: string };
        if (!b.location) return fail(400, 'LocationRequired', 'The location property is required for this definition.');
        const op = randomUUID();
        this.operations.set(op, { polls: 0, site });
        return send(
          201,
          { id: siteId, name: site, location: b.location, properties: { provisioningState: 'Creating' } },
          {
            'azure-asyncoperation': `${this.url}/providers/Microsoft.OffAzure/locations/${b.location}/operationStatuses/${op}?api-version=${apiVersion}`,
            'retry-after': '0',
          },
        );
      }
      return fail(405, 'MethodNotAllowed', method);
    }
    if (!this.sites.has(site))
      return fail(
        404,
        'ResourceNotFound',
        `The Resource 'Microsoft.OffAzure/importSites/${site}' under resource group '${rg}' was not found.`,
      );
    if (rest === '/importUri' && method === 'POST') {
      const b = JSON.parse(body.toString('utf8') || '{}') as { importType?: string };
      if (b.importType !== 'AzureMigrateCSV' && b.importType !== 'RVToolsXlsx')
        return fail(400, 'InvalidImportType', `importType ${String(b.importType)} is not supported.`);
      const name = randomUUID();
      const blobName = `${site}/${name}.csv`;
      this.jobs.push({ name, site, blobName, importType: b.importType, polls: 0, status: 'WaitingForUpload', errors: [], imported: 0 });
      return send(200, { uri: this.azurite.sasFor(this.container, blobName), jobArmId: `${siteId}/jobs/${name}` });
    }
    const jm = /^\/jobs\/([^/]+)$/.exec(rest);
    if (jm && method === 'GET') {
      const job = this.jobs.find((j) => j.name === jm[1]);
      if (!job) return fail(404, 'ResourceNotFound', `job ${jm[1]} not found`);
      await this.advance(job);
      return send(200, {
        id: `${siteId}/jobs/${job.name}`,
        name: job.name,
        type: 'Microsoft.OffAzure/ImportSites/jobs',
        status: job.status,
        displayName: 'Import machines',
        properties: { numberOfMachinesImported: job.imported, errorSummary: { errorCount: job.errors.length, errors: job.errors } },
      });
    }
    return fail(404, 'InvalidResourceType', `no route for ${method} ${rest}`);
  }

  /** The job after the upload: InProgress once, then Completed, or Failed with the rows Azure Migrate would refuse. */
  private async advance(job: FakeImportJob): Promise<void> {
    if (job.status === 'Completed' || job.status === 'Failed') return;
    const blob = this.azurite.container(this.container).getBlobClient(job.blobName);
    if (!(await blob.exists())) return;
    job.polls += 1;
    if (job.polls === 1) {
      job.status = 'InProgress';
      return;
    }
    const text = (await blob.downloadToBuffer()).toString('utf8');
    const rows = parse(text, { columns: true, skip_empty_lines: true }) as Record<string, string>[];
    rows.forEach((r, i) => {
      for (const col of ['Server name', 'Cores', 'Memory', 'OS name']) {
        if (!r[col]) job.errors.push({ rowNumber: i + 2, errorCode: 'MandatoryFieldMissing', errorMessage: `${col} is empty` });
      }
      if (r.Cores && !(Number(r.Cores) > 0))
        job.errors.push({ rowNumber: i + 2, errorCode: 'InvalidValue', errorMessage: `Cores "${r.Cores}" is not a positive number` });
    });
    job.imported = rows.length - new Set(job.errors.map((e) => e.rowNumber)).size;
    job.status = job.errors.length > 0 ? 'Failed' : 'Completed';
  }

  async close(): Promise<void> {
    await closeServer(this.server, this.sockets);
  }
}
