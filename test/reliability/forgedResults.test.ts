/**
 * Replayed and forged results (HostServer on 127.0.0.1, simulated agents): a result counts only when it comes
 * from the agent the job was offered to, for the live lease, and measures the offered model. Everything else is
 * ignored and leaves the store as it was. (A late result after a lease expired: test/reliability/faults.test.ts.)
 */
import { afterEach, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import type { AgentToHostMessage, HostToAgentMessage, JobOfferMessage } from '../../shared/protocol/messages.js';
import { PROTOCOL_VERSION } from '../../shared/protocol/version.js';
import { HOST_TOKEN, startInProcessHost, until, type InProcessHost } from '../helpers/inProcessHost.js';
import { SimAgent } from '../helpers/simAgent.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(): Promise<{ h: InProcessHost; owner: SimAgent; other: SimAgent; offer: JobOfferMessage; jobId: number }> {
  const h = await startInProcessHost();
  cleanups.push(() => h.close());
  const owner = new SimAgent({ url: h.agentUrl, token: HOST_TOKEN, name: 'owner', mode: 'hold' });
  const other = new SimAgent({ url: h.agentUrl, token: HOST_TOKEN, name: 'other', mode: 'hold' });
  cleanups.push(() => owner.close(), () => other.close());
  await owner.connect();
  const [jobId] = h.enqueue('name:owner', [randomBytes(2048), randomBytes(2048)]);
  h.server.setTargets(['name:owner']);
  const offer = (await owner.next((m) => m.type === 'job-offer')) as JobOfferMessage;
  await other.connect();
  return { h, owner, other, offer, jobId: jobId! };
}

const measurementCount = (h: InProcessHost): number => (h.store.db.prepare('SELECT COUNT(*) AS n FROM measurements').get() as { n: number }).n;

describe('replayed and forged results', () => {
  it("another authenticated agent cannot complete, fail, or fetch the model of a job offered to someone else", async () => {
    const { h, other, offer, jobId } = await setup();
    const before = h.scheduler.job(jobId);
    other.send(other.resultFor(offer));
    other.send({ v: PROTOCOL_VERSION, type: 'result', jobId: offer.jobId, status: 'failed', error: { code: 'ZN_MODEL_LOAD', message: 'forged' } });
    other.send({ v: PROTOCOL_VERSION, type: 'result', jobId: offer.jobId, status: 'rejected', error: { code: 'ZN_AGENT_BUSY', message: 'forged' } });
    other.send({ v: PROTOCOL_VERSION, type: 'job-accept', jobId: offer.jobId, needsModel: true });
    const refused = await other.next((m) => m.type === 'error' && m.jobId === offer.jobId);
    expect(refused).toMatchObject({ error: { code: 'ZN_PROTOCOL_SEQUENCE' } });
    if (refused.type === 'error') expect(refused.error.message).toMatch(/no such job was offered to you/);
    await h.waitForLog(/ignored a result .* from other@\w+ \(offered to another agent\)/);
    expect(h.scheduler.job(jobId)).toEqual(before); // same lease, same token, same attempts
    expect(measurementCount(h)).toBe(0);
  });

  it('the owner\'s result is recorded once; replaying it, or sending one for an attempt never offered, changes nothing', async () => {
    const { h, owner, offer, jobId } = await setup();
    const result = owner.resultFor(offer);
    owner.send(result);
    await h.waitForLog(/from owner@\w+: ok -> accepted/);
    for (let i = 0; i < 5; i++) owner.send(result);
    const [row, attempt] = offer.jobId.split('.');
    owner.send(owner.resultFor(offer, `${row}.${Number(attempt) + 1}`));
    await until(() => (h.logs.filter((l) => /ignored a result for unknown or finished job/.test(l)).length >= 6 ? true : undefined), 'the replays to be ignored');
    expect(measurementCount(h)).toBe(1);
    expect(h.scheduler.job(jobId)!.state).toBe('done');
  });

  it('a result that measured another model is not recorded (ZN_MODEL_HASH) and the job goes back to the queue', async () => {
    const { h, owner, offer, jobId } = await setup();
    const wrong = owner.resultFor({ ...offer, model: { sha256: 'c'.repeat(64), sizeBytes: offer.model.sizeBytes } }, offer.jobId);
    owner.send(wrong);
    await h.waitForLog(/from owner@\w+: ok -> requeued/);
    expect(measurementCount(h)).toBe(0);
    expect(h.scheduler.job(jobId)).toMatchObject({ state: 'queued', last_error: expect.stringMatching(/^ZN_MODEL_HASH: .*cccccccccccc/) });
  });

  it('an unauthenticated peer sending a result is refused with ZN_AUTH and closed (1008); nothing is stored', async () => {
    const { h, owner, offer } = await setup();
    const ws = new WebSocket(h.agentUrl);
    const replies: HostToAgentMessage[] = [];
    ws.on('message', (d) => replies.push(JSON.parse(String(d)) as HostToAgentMessage));
    const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
    await new Promise((resolve) => ws.once('open', resolve));
    ws.send(JSON.stringify(owner.resultFor(offer) satisfies AgentToHostMessage));
    expect(await closed).toBe(1008);
    expect(replies).toMatchObject([{ type: 'error', error: { code: 'ZN_AUTH' } }]);
    expect(measurementCount(h)).toBe(0);
  });
});
