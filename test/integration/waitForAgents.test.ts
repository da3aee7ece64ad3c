/**
 * Waiting for agents, with the real HostServer on loopback and simulated agents (test/helpers/simAgent.ts): which
 * targets are still missing (periodically and when one attaches), the hint for an agent named like a target whose
 * device profile is another, the resumable ZN_NO_AGENT, and the re-pairing hint for a browser refused for its token.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ZeronasError } from '../../shared/errors.js';
import { waitForAgents } from '../../host/orchestrator/fleet.js';
import { HOST_TOKEN, startInProcessHostFor } from '../helpers/inProcessHost.js';
import { SimAgent } from '../helpers/simAgent.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('waiting for agents', () => {
  it('says which targets it still waits for, hints when an agent is only named like a target, and times out resumably', async () => {
    const h = await startInProcessHostFor(cleanups);
    const lines: string[] = [];
    // Named pi3b, but a desktop: it serves target x86-desktop, never pi3b.
    const misnamed = new SimAgent({ url: h.agentUrl, token: HOST_TOKEN, name: 'pi3b', profile: 'x86-desktop' });
    cleanups.push(() => misnamed.close());
    const waiting = waitForAgents(h.server, ['pi3b', 'x86-desktop'], 3_000, (l) => lines.push(l), undefined, {
      progressEveryMs: 300,
      resume: { runDir: '/runs/r1', command: (s) => `npx zeronas orchestrate --resume /runs/r1 --wait-agents ${s}` },
    });
    const failure = waiting.then(() => null, (err: unknown) => err);
    await new Promise((r) => setTimeout(r, 500));
    await misnamed.connect();
    const err = await failure;
    expect(err).toBeInstanceOf(ZeronasError);
    expect(err).toMatchObject({
      code: 'ZN_NO_AGENT',
      message: expect.stringContaining('continue with a longer wait, and attach the agent meanwhile: npx zeronas orchestrate --resume /runs/r1 --wait-agents 300'),
      details: { missing: ['pi3b'], runDir: '/runs/r1', resumeCommand: 'npx zeronas orchestrate --resume /runs/r1 --wait-agents 300' },
    });
    expect(lines.some((l) => /^still waiting \(\d+ s of 3 s\) for: pi3b, x86-desktop$/.test(l))).toBe(true);
    expect(lines.some((l) => /^target\(s\) x86-desktop attached; still waiting \(\d+ s of 3 s\) for: pi3b$/.test(l))).toBe(true);
    const hints = lines.filter((l) => l.startsWith("agent 'pi3b' is named like target 'pi3b'"));
    expect(hints).toHaveLength(1); // once, not every poll
    expect(hints[0]).toContain("its device profile is 'x86-desktop': targets match the device profile, not the agent's name");
    expect(hints[0]).toContain('start that agent with --device pi3b if it is one, or use the target name:pi3b');
  });

  it('logs a browser refused for a bad token (paired before a restart) with the page to pair again at', async () => {
    const h = await startInProcessHostFor(cleanups, { server: { browserPairingUrl: () => 'http://127.0.0.1:9/agent' } });
    const page = new SimAgent({ url: h.agentUrl, token: 'token-of-an-earlier-host-process', name: 'browser-14e3be', profile: 'browser-wasm' });
    (page.device as { environment: string }).environment = 'browser';
    cleanups.push(() => page.close());
    await expect(page.connect()).rejects.toThrow(/bad token/);
    const [line] = await h.waitForLog(/refused agent 'browser-14e3be'.*/);
    expect(line).toContain('bad token (a browser page paired with an earlier host process');
    expect(line).toContain('pair it again: open http://127.0.0.1:9/agent on the device');
  });
});
