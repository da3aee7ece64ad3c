/**
 * scripts/install-agent.sh: shellcheck-clean, --dry-run prints the whole plan and changes nothing, the userland
 * architecture and Node.js are decided before anything changes (fake dpkg/getconf/uname/node on PATH stand for a
 * Raspberry Pi OS here), --device is checked against the agent's own profiles, the install line a waiting host prints
 * works pasted, and the unit it writes passes `systemd-analyze verify`.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { installableProfileIds } from '../../devices/index.js';
import { attachHints } from '../../host/orchestrator/fleet.js';

const SCRIPT = 'scripts/install-agent.sh';
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** A PATH whose dpkg, getconf, uname and node answer like the described system (other tools are the real ones). */
function fakeSystem(system: { dpkgArch: string; longBit: number; kernel: string; nodeVersion: string | null; osRelease: string }): NodeJS.ProcessEnv {
  const dir = mkdtempSync(join(tmpdir(), 'zeronas-install-test-'));
  dirs.push(dir);
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  const tool = (name: string, body: string): void => {
    writeFileSync(join(bin, name), `#!/bin/sh
${body}
`);
    chmodSync(join(bin, name), 0o755);
  };
  tool('dpkg', `[ "$1" = --print-architecture ] && echo ${system.dpkgArch}`);
  tool('getconf', `echo ${system.longBit}`);
  tool('uname', `case "$1" in -m) echo ${system.kernel} ;; *) echo pi ;; esac`);
  const v = system.nodeVersion;
  tool('node', v ? `case "$1" in --version) echo v${v} ;; -p) echo ${v.split('.')[0]} ;; esac` : 'exit 127');
  writeFileSync(join(dir, 'os-release'), system.osRelease);
  return { ...process.env, PATH: `${bin}:${process.env.PATH}`, ZERONAS_INSTALL_OS_RELEASE: join(dir, 'os-release') };
}

const BOOKWORM = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n';
const TRIXIE = 'PRETTY_NAME="Debian GNU/Linux 13 (trixie)"\nID=debian\nVERSION_ID="13"\nVERSION_CODENAME=trixie\n';

/**
 * A tarball laid out like `zeronas agent-bundle` output, with only its manifest (the script reads nothing else first);
 * `deviceProfiles` as the bundle lists them (absent: a bundle from before the list).
 */
function bundleFor(arch: string, deviceProfiles?: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'zeronas-install-bundle-'));
  dirs.push(dir);
  mkdirSync(join(dir, 'zeronas-agent'));
  writeFileSync(join(dir, 'zeronas-agent', 'package.json'), `${JSON.stringify({ name: 'zeronas-agent', zeronasBundle: { arch, ...(deviceProfiles ? { deviceProfiles } : {}) } }, null, 2)}\n`);
  execFileSync('tar', ['-czf', join(dir, 'bundle.tgz'), '-C', dir, 'zeronas-agent']);
  return join(dir, 'bundle.tgz');
}

const ARGS = ['--dry-run', '--host', 'ws://10.0.0.2:8765/agent', '--token', 't'];

describe('install-agent.sh', () => {
  it('is shellcheck-clean', () => {
    const r = spawnSync('shellcheck', [SCRIPT], { encoding: 'utf8' });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('--dry-run prints every step of the install plan, hides the token, changes nothing', () => {
    const out = execFileSync('bash', [SCRIPT, '--dry-run', '--host', 'ws://10.0.0.2:8765/agent', '--token', 's3cret', '--name', 'kitchen-pi', '--device', 'pi3b'], { encoding: 'utf8' });
    for (const step of [
      '# userland:',
      'npm --prefix /opt/zeronas ci --omit=dev',
      'useradd --system',
      'write /etc/zeronas/agent.env (mode 0640',
      'ZERONAS_HOST=ws://10.0.0.2:8765/agent',
      'ZERONAS_NAME=kitchen-pi',
      'ZERONAS_DEVICE=pi3b',
      'Restart=on-failure',
      'systemctl enable zeronas-agent.service',
    ]) {
      expect(out).toContain(step);
    }
    expect(out).not.toContain('s3cret');
    expect(existsSync('/etc/zeronas/agent.env')).toBe(false);
  });

  it('--dry-run --uninstall prints the removal plan', () => {
    const out = execFileSync('bash', [SCRIPT, '--dry-run', '--uninstall'], { encoding: 'utf8' });
    expect(out).toContain('systemctl disable --now zeronas-agent.service');
    expect(out).toContain('rm -rf /opt/zeronas');
  });

  it("refuses --host 'http://x'", () => {
    const r = spawnSync('bash', [SCRIPT, '--dry-run', '--host', 'http://x', '--token', 't'], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/--host 'http:\/\/x' must start with ws:\/\//);
  });

  it('--pin goes into agent.env as ZERONAS_PIN for a wss:// host; a malformed pin or a ws:// host with a pin is refused', () => {
    const pin = `sha256:${'ab'.repeat(32)}`;
    const out = execFileSync('bash', [SCRIPT, '--dry-run', '--host', 'wss://10.0.0.2:8765/agent', '--pin', pin, '--token', 't'], { encoding: 'utf8' });
    expect(out).toContain(`ZERONAS_PIN=${pin}`);
    const bad = spawnSync('bash', [SCRIPT, '--dry-run', '--host', 'wss://10.0.0.2:8765/agent', '--pin', 'sha256:12', '--token', 't'], { encoding: 'utf8' });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/--pin 'sha256:12' is not a certificate fingerprint/);
    const plain = spawnSync('bash', [SCRIPT, '--dry-run', '--host', 'ws://10.0.0.2:8765/agent', '--pin', pin, '--token', 't'], { encoding: 'utf8' });
    expect(plain.status).toBe(1);
    expect(plain.stderr).toMatch(/--pin needs a wss:\/\/ --host/);
  });

  it('a 32-bit Raspberry Pi OS on a 64-bit kernel is armhf (ort-wasm), and Node 18 stops it before any change with the armv7l way to Node 20', () => {
    const env = fakeSystem({ dpkgArch: 'armhf', longBit: 32, kernel: 'aarch64', nodeVersion: '18.19.0', osRelease: BOOKWORM });
    const r = spawnSync('bash', [SCRIPT, ...ARGS, '--bundle', bundleFor('armhf')], { encoding: 'utf8', env });
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('# userland: armhf (32-bit, kernel aarch64)');
    expect(r.stdout).toContain('ort-wasm');
    expect(r.stderr).toContain('Node.js >= 20 is needed (found major 18); nothing was changed.');
    expect(r.stderr).toContain('linux-armv7l.tar.xz');
    expect(r.stdout).not.toMatch(/^\+ /m);
  });

  it('on 64-bit bookworm without Node 20 it names NodeSource; on trixie it plans Debian\'s nodejs package, then the bundle', () => {
    const bookworm = spawnSync('bash', [SCRIPT, ...ARGS], { encoding: 'utf8', env: fakeSystem({ dpkgArch: 'arm64', longBit: 64, kernel: 'aarch64', nodeVersion: null, osRelease: BOOKWORM }) });
    expect(bookworm.status).toBe(1);
    expect(bookworm.stderr).toContain('found none');
    expect(bookworm.stderr).toContain('https://deb.nodesource.com/setup_20.x');
    const trixie = spawnSync('bash', [SCRIPT, ...ARGS, '--bundle', bundleFor('arm64'), '--no-systemd'], {
      encoding: 'utf8',
      env: fakeSystem({ dpkgArch: 'arm64', longBit: 64, kernel: 'aarch64', nodeVersion: null, osRelease: TRIXIE }),
    });
    expect(trixie.status, trixie.stderr).toBe(0);
    expect(trixie.stdout).toContain('# userland: arm64 (64-bit, kernel aarch64)');
    expect(trixie.stdout).toContain('+ apt-get install -y --no-install-recommends nodejs');
    expect(trixie.stdout).toMatch(/\+ tar -xzf \S+bundle\.tgz -C \/opt\/zeronas --strip-components=1/);
    expect(trixie.stdout).not.toMatch(/^\+ .*npm/m);
    expect(trixie.stdout).not.toMatch(/^\+ systemctl/m);
    expect(trixie.stdout).toContain('# --no-systemd: unit written, systemctl not called');
  });

  it('refuses a bundle made for another architecture, naming both', () => {
    const env = fakeSystem({ dpkgArch: 'armhf', longBit: 32, kernel: 'armv7l', nodeVersion: '20.19.2', osRelease: TRIXIE });
    const r = spawnSync('bash', [SCRIPT, ...ARGS, '--bundle', bundleFor('arm64')], { encoding: 'utf8', env });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("is for 'arm64', this userland is armhf: make one with zeronas agent-bundle --arch armhf");
  });

  it('refuses an unknown --device before changing anything, naming it and the agent\'s own profiles (checkout and bundle)', () => {
    const checkout = spawnSync('bash', [SCRIPT, ...ARGS, '--device', 'pi9'], { encoding: 'utf8' });
    expect(checkout.status).toBe(1);
    expect(checkout.stderr).toContain(`--device 'pi9' is not a device profile of this agent; known: ${[...installableProfileIds()].sort().join(', ')} `);
    expect(checkout.stdout).not.toMatch(/^\+ /m);
    const env = fakeSystem({ dpkgArch: 'arm64', longBit: 64, kernel: 'aarch64', nodeVersion: '20.19.2', osRelease: TRIXIE });
    const listed = bundleFor('arm64', installableProfileIds());
    const bad = spawnSync('bash', [SCRIPT, ...ARGS, '--bundle', listed, '--device', 'pi9', '--force-device'], { encoding: 'utf8', env });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain(`--device 'pi9' is not a device profile of this agent; known: ${installableProfileIds().join(', ')} `);
    expect(bad.stdout).not.toMatch(/^\+ /m);
    const good = spawnSync('bash', [SCRIPT, ...ARGS, '--bundle', listed, '--device', 'pi5', '--no-systemd'], { encoding: 'utf8', env });
    expect(good.status, good.stderr).toBe(0);
    expect(good.stdout).toContain('ZERONAS_DEVICE=pi5');
    // A bundle made before bundles listed their profiles: said, not refused.
    const old = spawnSync('bash', [SCRIPT, ...ARGS, '--bundle', bundleFor('arm64'), '--device', 'pi5', '--no-systemd'], { encoding: 'utf8', env });
    expect(old.status, old.stderr).toBe(0);
    expect(old.stdout).toContain('# --device pi5: not checked (the bundle does not list its device profiles');
  });

  it('--help gives the defaults of --name and --device and says where host, token and pin come from', () => {
    const help = execFileSync('bash', [SCRIPT, '--help'], { encoding: 'utf8' }).replace(/\s+/g, ' ');
    expect(help).toContain("--name NAME the name the host shows and `--targets name:NAME` selects (default: this machine's hostname)");
    expect(help).toMatch(/--device ID the device profile \(pi3b, [^)]*default: recognised from the hardware\)/);
    expect(help).toContain('`zeronas token` on the host prints it');
    expect(help).toContain('`zeronas token --pin` on the host');
    expect(help).toContain('/opt/zeronas/bin/zeronas-agent.js');
  });

  it("the install line a waiting host prints for a Pi target, pasted on a 64-bit Raspberry Pi OS, plans that install in full, with the by-hand command", () => {
    const pin = `sha256:${'cd'.repeat(32)}`;
    const hint = attachHints('pi3b', 'wss://192.0.2.2:9876/agent', 'tok3n', pin).find((h) => h.includes('install-agent.sh'))!;
    expect(hint).toContain("'npx zeronas agent-bundle --arch arm64'");
    const [, line] = /run there: sudo (bash install-agent\.sh .*)$/.exec(hint)!;
    expect(line).toBe(`bash install-agent.sh --bundle zeronas-agent-arm64.tgz --host wss://192.0.2.2:9876/agent --pin ${pin} --token tok3n --device pi3b`);
    // Pasted as printed (in dry-run mode, next to an arm64 bundle that lists the agent's profiles).
    const env = fakeSystem({ dpkgArch: 'arm64', longBit: 64, kernel: 'aarch64', nodeVersion: '20.19.2', osRelease: TRIXIE });
    const cwd = dirname(bundleFor('arm64', installableProfileIds()));
    execFileSync('cp', [join(cwd, 'bundle.tgz'), join(cwd, 'zeronas-agent-arm64.tgz')]);
    execFileSync('cp', [SCRIPT, join(cwd, 'install-agent.sh')]);
    const r = spawnSync('bash', ['-c', line!.replace('install-agent.sh', 'install-agent.sh --dry-run')], { encoding: 'utf8', env, cwd });
    expect(r.status, r.stderr).toBe(0);
    for (const want of ['ZERONAS_HOST=wss://192.0.2.2:9876/agent', `ZERONAS_PIN=${pin}`, 'ZERONAS_TOKEN=<hidden>', 'ZERONAS_DEVICE=pi3b', '+ systemctl restart zeronas-agent.service']) expect(r.stdout).toContain(want);
    expect(r.stdout).toMatch(/^# by hand .*runuser -u zeronas -- \S+ \/opt\/zeronas\/bin\/zeronas-agent\.js$/m);
  });

  it('writes a unit that passes systemd-analyze verify (and the check does catch a broken one)', () => {
    const out = execFileSync('bash', [SCRIPT, ...ARGS, '--bundle', bundleFor(process.arch === 'arm64' ? 'arm64' : 'x64')], { encoding: 'utf8' });
    const lines = out.split('\n');
    const start = lines.findIndex((l) => l.startsWith('+ write /etc/systemd/system/zeronas-agent.service'));
    const unit = lines.slice(start + 1).filter((_, i, all) => all.slice(0, i + 1).every((l) => l.startsWith('    |'))).map((l) => l.replace(/^ {4}\| ?/, ''));
    expect(unit[0]).toBe('[Unit]');
    const dir = mkdtempSync(join(tmpdir(), 'zeronas-unit-test-'));
    dirs.push(dir);
    const verify = (text: string): { status: number | null; output: string } => {
      const path = join(dir, 'zeronas-agent.service');
      writeFileSync(path, `${text}\n`);
      const r = spawnSync('systemd-analyze', ['verify', path], { encoding: 'utf8' });
      return { status: r.status, output: `${r.stdout}${r.stderr}`.trim() };
    };
    expect(verify(unit.join('\n'))).toEqual({ status: 0, output: '' });
    expect(verify(unit.join('\n').replace('Restart=on-failure', 'Restart=sometimes')).output).toMatch(/restart specifier/);
  });
});
