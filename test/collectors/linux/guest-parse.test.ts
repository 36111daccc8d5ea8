import { describe, expect, it } from 'vitest';
import { parseSnapList, parseSockets, parseSoftware, parseSs, parseSsAddress } from '../../../collectors/linux/guest-parse.js';

describe('Linux guest parsers', () => {
  it('reads dpkg, rpm and snap sections and says which tools are absent or failed', () => {
    const text = [
      '@@ac:dpkg',
      'adduser\t3.134\tDebian Adduser Developers <adduser@packages.debian.org>',
      'libc6\t2.36-9+deb12u4\tGNU Libc Maintainers <debian-glibc@lists.debian.org>',
      '@@rc:0',
      '@@ac:rpm',
      '@@absent',
      '@@ac:snap',
      'error: cannot communicate with server: Get "http://localhost/v2/snaps": dial unix /run/snapd.socket: connect: permission denied',
      '@@rc:1',
      '@@ac:end',
    ].join('\n');
    const r = parseSoftware(text);
    expect(r.applications).toEqual([
      { name: 'adduser', version: '3.134', publisher: 'Debian Adduser Developers <adduser@packages.debian.org>', source: 'dpkg' },
      { name: 'libc6', version: '2.36-9+deb12u4', publisher: 'GNU Libc Maintainers <debian-glibc@lists.debian.org>', source: 'dpkg' },
    ]);
    expect(r.notes).toEqual([
      'rpm: not installed',
      expect.stringMatching(/^snap: exited with code 1: error: cannot communicate/) as unknown as string,
    ]);
  });

  it('reads rpm lines with (none) vendors', () => {
    const r = parseSoftware(
      [
        '@@ac:dpkg',
        '@@absent',
        '@@ac:rpm',
        'bash\t5.1.8-6.el9\tRed Hat, Inc.',
        'gpg-pubkey\t(none)-(none)\t(none)',
        '@@rc:0',
        '@@ac:snap',
        '@@absent',
        '@@ac:end',
      ].join('\n'),
    );
    expect(r.applications).toEqual([
      { name: 'bash', version: '5.1.8-6.el9', publisher: 'Red Hat, Inc.', source: 'rpm' },
      { name: 'gpg-pubkey', version: null, publisher: null, source: 'rpm' },
    ]);
    expect(r.notes).toEqual(['dpkg: not installed', 'snap: not installed']);
  });

  it('reads snap list columns and drops publisher marks', () => {
    expect(
      parseSnapList([
        'Name    Version        Rev    Tracking       Publisher   Notes',
        'core22  20240111       1122   latest/stable  canonical✓  base',
        'lxd     5.0.3-80aeff7  27948  5.0/stable/…   canonical✓  -',
        'mytool  1.2            3      latest/stable  someone     -',
      ]),
    ).toEqual([
      { name: 'core22', version: '20240111', publisher: 'canonical', source: 'snap' },
      { name: 'lxd', version: '5.0.3-80aeff7', publisher: 'canonical', source: 'snap' },
      { name: 'mytool', version: '1.2', publisher: 'someone', source: 'snap' },
    ]);
  });

  it('splits ss addresses of every form', () => {
    expect(parseSsAddress('127.0.0.1:8000')).toEqual({ ip: '127.0.0.1', port: 8000 });
    expect(parseSsAddress('[::1]:22')).toEqual({ ip: '::1', port: 22 });
    expect(parseSsAddress('*:80')).toEqual({ ip: '0.0.0.0', port: 80 });
    expect(parseSsAddress('0.0.0.0:*')).toEqual({ ip: '0.0.0.0', port: 0 });
    expect(parseSsAddress('127.0.0.53%lo:53')).toEqual({ ip: '127.0.0.53', port: 53 });
    expect(parseSsAddress('[::ffff:10.1.2.3]:443')).toEqual({ ip: '10.1.2.3', port: 443 });
    expect(parseSsAddress('[fe80::1%eth0]:22')).toEqual({ ip: 'fe80::1', port: 22 });
  });

  it('keeps ESTAB and LISTEN sockets with their processes, names with spaces included', () => {
    const lines = [
      'LISTEN    0      128      0.0.0.0:2024    0.0.0.0:*',
      'LISTEN    0      511    127.0.0.1:44857   0.0.0.0:*     users:(("node (vitest 2",pid=30992,fd=19))',
      'TIME-WAIT 0      0      127.0.0.1:4369  127.0.0.1:43842',
      'ESTAB     0      0      10.0.0.5:41234 10.0.0.9:5432 users:(("python3",pid=77,fd=3),("python3",pid=78,fd=3))',
      'LISTEN 0 4096 [::]:22 [::]:* users:(("sshd",pid=1,fd=4))',
    ];
    const s = parseSs(lines, new Map([[77, { path: '/usr/bin/python3.11', args: 'python3 app.py' }]]));
    expect(s).toEqual([
      { state: 'listen', localIp: '0.0.0.0', localPort: 2024, remoteIp: '0.0.0.0', remotePort: 0, process: null },
      {
        state: 'listen',
        localIp: '127.0.0.1',
        localPort: 44857,
        remoteIp: '0.0.0.0',
        remotePort: 0,
        process: { pid: 30992, name: 'node (vitest 2', path: null, args: null },
      },
      {
        state: 'established',
        localIp: '10.0.0.5',
        localPort: 41234,
        remoteIp: '10.0.0.9',
        remotePort: 5432,
        process: { pid: 77, name: 'python3', path: '/usr/bin/python3.11', args: 'python3 app.py' },
      },
      {
        state: 'listen',
        localIp: '::',
        localPort: 22,
        remoteIp: '::',
        remotePort: 0,
        process: { pid: 1, name: 'sshd', path: null, args: null },
      },
    ]);
  });

  it('joins /proc paths and arguments, and says what root would add', () => {
    const text = [
      '@@ac:uid',
      '1001',
      '@@ac:ss',
      'ESTAB 0 0 127.0.0.1:5000 127.0.0.1:8000 users:(("curl",pid=42,fd=5))',
      'ESTAB 0 0 127.0.0.1:8000 127.0.0.1:5000',
      '@@rc:0',
      '@@ac:pid:42',
      '/usr/bin/curl',
      'curl\x1f-s\x1fhttp://127.0.0.1:8000/\x1f',
      '@@ac:end',
    ].join('\n');
    const r = parseSockets(text);
    expect(r.root).toBe(false);
    expect(r.sockets[0]?.process).toEqual({ pid: 42, name: 'curl', path: '/usr/bin/curl', args: 'curl -s http://127.0.0.1:8000/' });
    expect(r.sockets[1]?.process).toBeNull();
    expect(r.notes.join('\n')).toContain("root would add process names for other users' sockets");
    expect(r.notes.join('\n')).toContain('1 of 2 sockets without a process');
  });

  it('says when ss is absent or the output was cut', () => {
    const r = parseSockets('@@ac:uid\n0\n@@ac:ss\n@@absent\n');
    expect(r.sockets).toEqual([]);
    expect(r.notes).toEqual(['ss: not installed (iproute2); no connections read', 'the output was cut short (no end marker)']);
  });
});
