/** scripts/install-agent.sh: shellcheck-clean, and --dry-run prints the whole plan and changes nothing. */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const SCRIPT = 'scripts/install-agent.sh';

describe('install-agent.sh', () => {
  it('is shellcheck-clean', () => {
    const r = spawnSync('shellcheck', [SCRIPT], { encoding: 'utf8' });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('--dry-run prints every step of the install plan, hides the token, changes nothing', () => {
    const out = execFileSync('bash', [SCRIPT, '--dry-run', '--host', 'ws://10.0.0.2:8765/agent', '--token', 's3cret', '--name', 'kitchen-pi', '--device', 'pi3b'], { encoding: 'utf8' });
    for (const step of [
      '# architecture:',
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
});
