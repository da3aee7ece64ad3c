/**
 * The live fleet view (GET /fleet, `zeronas fleet --host`) against the real HostServer/Scheduler/Store in process:
 * what it lists (live idle and busy agents, a disconnected one with its last-seen time, measurements and the newest
 * results first) and whom it answers (the host token only; nothing secret in the answer). The same through a live
 * `orchestrate` process and the real CLI is test/integration/firstHour.test.ts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { fleetSnapshot, openFleetView } from '../../host/orchestrator/fleetView.js';
import { queryLiveFleet } from '../../host/workflows/liveFleet.js';
import { HOST_TOKEN, startInProcessHostFor, until, type InProcessHost } from '../helpers/inProcessHost.js';
import { SimAgent } from '../helpers/simAgent.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function agent(h: InProcessHost, name: string, mode: 'work' | 'hold', profile = 'x86-desktop'): SimAgent {
  const a = new SimAgent({ url: h.agentUrl, token: HOST_TOKEN, name, mode, profile, workMs: () => 5 });
  cleanups.push(() => a.close());
  return a;
}

async function get(h: InProcessHost, headers: Record<string, string> = {}, method = 'GET'): Promise<{ status: number; body: string }> {
  const res = await fetch(`http://127.0.0.1:${h.server.port}/fleet`, { method, headers });
  return { status: res.status, body: await res.text() };
}

describe('the live fleet view', () => {
  it('lists live idle and busy agents and a disconnected one, with measurements and the newest results first', async () => {
    const h = await startInProcessHostFor(cleanups);
    openFleetView(h.server, { token: HOST_TOKEN, store: h.store, log: () => undefined });
    // A Pi measures four jobs, then a desktop agent holds one (busy), and a third came and went.
    const pi = agent(h, 'kitchen-pi', 'work', 'pi3b');
    await pi.connect();
    const done = h.enqueue('pi3b', [1, 2, 3, 4].map((i) => new Uint8Array([i, 9, 9])));
    h.server.setTargets(['pi3b', 'x86-desktop']);
    await until(() => ((h.store.db.prepare('SELECT COUNT(*) AS n FROM measurements').get() as { n: number }).n === done.length ? true : undefined), 'four measurements');
    const gone = agent(h, 'gone', 'work', 'browser-wasm');
    await gone.connect();
    await gone.close();
    await until(() => (h.server.agents.size === 1 ? true : undefined), 'the third agent to leave');
    const busy = agent(h, 'desk', 'hold');
    await busy.connect();
    h.enqueue('x86-desktop', [new Uint8Array([7, 7, 7])]);
    await until(() => ([...h.server.agents.values()].some((a) => a.device.name === 'desk' && a.state === 'busy') ? true : undefined), 'desk to be busy');

    const fleet = await queryLiveFleet({ hostUrl: h.agentUrl, token: { token: HOST_TOKEN, source: 'test' }, pin: null });
    expect(fleet.fleetView).toBe(1);
    expect(fleet.runs).toEqual(['run-1']);
    const byName = new Map(fleet.agents.map((a) => [a.name, a]));
    expect([...byName.keys()].sort()).toEqual(['desk', 'gone', 'kitchen-pi']);
    expect(fleet.agents.at(-1)!.name).toBe('gone'); // live ones first
    const kitchen = byName.get('kitchen-pi')!;
    expect(kitchen).toMatchObject({ profile: 'pi3b', isLive: true, state: 'idle', currentJob: null, measurements: 4, runtimes: ['ort-node 1.30.0'], cpu: 'simulated cpu', cores: 4 });
    expect(kitchen.lastResults).toHaveLength(3);
    const stored = h.store.measurements('run-1', 'pi3b').reverse().slice(0, 3);
    expect(kitchen.lastResults.map((r) => [r.arch, r.latencyMs, r.target, r.source])).toEqual(stored.map((m) => [m.arch, m.latency_median_ms, 'pi3b', 'measured']));
    const desk = byName.get('desk')!;
    expect(desk).toMatchObject({ isLive: true, state: 'busy', measurements: 0, lastResults: [] });
    expect(desk.currentJob).toEqual({ target: 'x86-desktop', arch: expect.stringMatching(/^arch-/) });
    const left = byName.get('gone')!;
    expect(left).toMatchObject({ isLive: false, state: 'disconnected', connectedAt: null, profile: 'browser-wasm', measurements: 0 });
    expect(Date.parse(left.lastSeen)).toBeLessThanOrEqual(Date.parse(fleet.now));
    // The in-process snapshot is the same document the endpoint serves.
    expect(fleetSnapshot(h.server, h.store).agents.map((a) => a.id)).toEqual(fleet.agents.map((a) => a.id));
  });

  it('answers the host token only, and its answer holds no token, lease token or descriptor beyond the listed fields', async () => {
    const h = await startInProcessHostFor(cleanups);
    const logs: string[] = [];
    openFleetView(h.server, { token: HOST_TOKEN, store: h.store, log: (l) => logs.push(l) });
    const busy = agent(h, 'desk', 'hold');
    await busy.connect();
    h.enqueue('x86-desktop', [new Uint8Array([1, 2, 3])]);
    h.server.setTargets(['x86-desktop']);
    await until(() => ([...h.server.agents.values()].some((a) => a.state === 'busy') ? true : undefined), 'a leased job');

    const none = await get(h);
    expect(none.status).toBe(401);
    expect(JSON.parse(none.body)).toMatchObject({ code: 'ZN_AUTH' });
    expect((await get(h, { authorization: 'Bearer not-the-token' })).status).toBe(401);
    expect((await get(h, { authorization: `Basic ${HOST_TOKEN}` })).status).toBe(401);
    expect((await get(h, { authorization: `Bearer ${HOST_TOKEN}x` })).status).toBe(401);
    expect((await get(h, { authorization: `Bearer ${HOST_TOKEN}` }, 'POST')).status).toBe(405);
    await expect(queryLiveFleet({ hostUrl: h.agentUrl, token: { token: 'wrong-token-0123456789', source: 'ZERONAS_TOKEN' }, pin: null })).rejects.toMatchObject({
      code: 'ZN_AUTH',
      message: expect.stringContaining('refused the token from ZERONAS_TOKEN'),
    });
    expect(logs.filter((l) => l.includes('fleet view: refused'))).toHaveLength(5);

    const ok = await get(h, { authorization: `Bearer ${HOST_TOKEN}` });
    expect(ok.status).toBe(200);
    const leaseToken = (h.store.db.prepare("SELECT lease_token FROM jobs WHERE state = 'leased'").get() as { lease_token: string }).lease_token;
    expect(leaseToken.length).toBeGreaterThan(8);
    for (const secret of [HOST_TOKEN, leaseToken]) expect(ok.body).not.toContain(secret);
    // Only the listed fields: the descriptor's OS, memory, hostname and conditions stay on the host.
    const [a] = (JSON.parse(ok.body) as { agents: Record<string, unknown>[] }).agents;
    expect(Object.keys(a!).sort()).toEqual(
      ['connectedAt', 'cores', 'cpu', 'currentJob', 'environment', 'id', 'isLive', 'lastResults', 'lastSeen', 'lastSeenAgoMs', 'measurements', 'name', 'profile', 'runtimes', 'state'].sort(),
    );
    expect(ok.body).not.toContain('sim-host');
  });
});
