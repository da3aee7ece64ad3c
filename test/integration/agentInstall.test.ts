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
});
