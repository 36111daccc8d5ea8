// Independent clients against the simulator: Debian's pywinrm (NTLM + message encryption over HTTP)
// and Debian's wsl (wslenum, Basic over HTTPS with Pull paging) must list the estate's VMs.
import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../common/log.js';
import { loadEstate } from '../../../lab/estate.js';
import { startHypervLab, type HypervLab } from '../../../lab/hyperv/index.js';
import { PEERS, requirePeer } from '../../helpers/peers.js';

const run = promisify(execFile);
const PASSWORD = 'Peer-Passw0rd!';
const estate = loadEstate('lab/estates/sample.yaml');
let lab: HypervLab;
let dir: string;

function vmNames(host: string): string[] {
  return lab.world
    .vmsOn(host)
    .map((v) => v.vm.name)
    .sort();
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hv-peers-'));
  lab = await startHypervLab({ estate, users: { collector: PASSWORD }, log: createLogger({ level: 'silent' }) });
});

afterAll(async () => {
  await lab?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('independent WinRM clients against the Hyper-V simulator', () => {
  it.skipIf(requirePeer(PEERS.pywinrm))(
    'pywinrm completes NTLM with message encryption and its raw Enumerate returns the estate VMs (twice on one session)',
    async () => {
      const cnf = join(dir, 'openssl.cnf');
      // pywinrm's NTLM needs MD4, which OpenSSL 3 keeps in the legacy provider.
      writeFileSync(
        cnf,
        'openssl_conf = openssl_init\n[openssl_init]\nproviders = provider_sect\n[provider_sect]\ndefault = default_sect\nlegacy = legacy_sect\n[default_sect]\nactivate = 1\n[legacy_sect]\nactivate = 1\n',
      );
      const ep = lab.endpoints.find((e) => e.host === 'hv02')!;
      const { stdout } = await run(
        '/usr/bin/python3',
        [
          'test/lab/hyperv/pywinrm-enumerate.py',
          `http://127.0.0.1:${ep.httpPort}/wsman`,
          "SELECT Name, ElementName FROM Msvm_ComputerSystem WHERE Caption = 'Virtual Machine'",
        ],
        { env: { ...process.env, OPENSSL_CONF: cnf, HV_USER: 'collector', HV_PASS: PASSWORD }, timeout: 60_000 },
      );
      const replies = stdout.split('\n----\n').filter((s) => s.trim());
      expect(replies).toHaveLength(2);
      for (const reply of replies) {
        const names = [...reply.matchAll(/<ElementName>([^<]*)<\/ElementName>/g)].map((m) => m[1]!.replace(/&amp;/g, '&')).sort();
        expect(names).toEqual(vmNames('hv02'));
        const guids = [...reply.matchAll(/<Name>([^<]*)<\/Name>/g)].map((m) => m[1]).sort();
        expect(guids).toEqual(
          lab.world
            .vmsOn('hv02')
            .map((v) => v.guid)
            .sort(),
        );
      }
      expect(lab.stats().hv02!.plaintextRefused).toBe(0);
    },
  );

  it.skipIf(requirePeer(PEERS.wslenum))(
    'wslenum (Basic over HTTPS, Pull paging two items at a time) enumerates the estate VMs',
    async () => {
      // wsl calls uuidgen (package uuid-runtime) for message ids; a two-line stand-in keeps CI's package list short.
      const bin = join(dir, 'bin');
      mkdirSync(bin);
      writeFileSync(join(bin, 'uuidgen'), '#!/bin/sh\ncat /proc/sys/kernel/random/uuid\n');
      chmodSync(join(bin, 'uuidgen'), 0o755);
      const out = join(dir, 'wsl');
      mkdirSync(out);
      const ep = lab.endpoints.find((e) => e.host === 'hv01')!;
      await run(
        'wslenum',
        [
          'http://schemas.microsoft.com/wbem/wsman/1/wmi/root/virtualization/v2/*',
          '-dialect',
          'http://schemas.microsoft.com/wbem/wsman/1/WQL',
          '-filter',
          "SELECT * FROM Msvm_ComputerSystem WHERE Caption = 'Virtual Machine'",
          '-opti',
          '2',
        ],
        {
          cwd: out,
          timeout: 90_000,
          env: {
            ...process.env,
            PATH: `${bin}:${process.env.PATH}`,
            HOME: dir,
            WSAUTOMATED: '1',
            KEEPHISTORY: '0',
            OUTPREFIX: out,
            WSENDPOINT: `127.0.0.1:${ep.httpsPort}`,
            WSUSER: 'collector',
            WSPASS: PASSWORD,
          },
        },
      );
      const responses = readdirSync(out).filter((f) => /^response-\d+\.xml$/.test(f));
      expect(responses.length).toBeGreaterThan(1); // the first batch and at least one Pull
      const names = responses
        .flatMap((f) => [...readFileSync(join(out, f), 'utf8').matchAll(/<p:ElementName>([^<]*)<\/p:ElementName>/g)].map((m) => m[1]!))
        .sort();
      expect(names).toEqual(vmNames('hv01'));
    },
  );
});
