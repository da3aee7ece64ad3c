/**
 * Load figure for the orchestrator: the real HostServer + Scheduler + SQLite store (WAL, a file in a temp folder)
 * in this process, and a second process attaching N simulated agents (test/helpers/simAgent.ts: real WebSockets,
 * protocol v1, model transfer with sha256 check, schema-valid results) over 127.0.0.1. Each agent completes jobs
 * until the queue is empty; some agents drop their connection mid-job once (`--churn`) to show requeues under load.
 * Prints jobs per second, host RSS and heap, host CPU, dispatch latency percentiles, and the counts of lost,
 * duplicated and misattributed results (all must be 0; the script exits 1 otherwise). Asserts no speed.
 *
 *   npx tsx scripts/bench/loadTest.ts [--agents 200] [--jobs-per-agent 10] [--work-ms 5] [--models 20] [--churn 10]
 *                                     [--max-seconds 180] [--json]
 * Host CPU and memory are those of this process only (the agents run in the child), sampled every 100 ms.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startInProcessHost } from '../../test/helpers/inProcessHost.js';
import { SimAgent } from '../../test/helpers/simAgent.js';

const { values } = parseArgs({
  options: {
    role: { type: 'string', default: 'host' },
    url: { type: 'string' },
    token: { type: 'string' },
    agents: { type: 'string', default: '200' },
    'jobs-per-agent': { type: 'string', default: '10' },
    'work-ms': { type: 'string', default: '5' },
    models: { type: 'string', default: '20' },
    churn: { type: 'string', default: '10' },
    'max-seconds': { type: 'string', default: '180' },
    json: { type: 'boolean', default: false },
  },
});

const TARGET = 'x86-desktop';

interface AgentReport {
  connectedAgents: number;
  resultsSent: number;
  /** Results an agent sent a second time for the same wire job id (the same lease dispatched twice). */
  duplicateDispatches: number;
  modelErrors: string[];
  reconnects: number;
  /** Offer received -> result sent, measured inside the agents process (includes simulated work and its queueing). */
  agentSideMs: { p50: number; p90: number; p99: number };
  agentsCpuPercentOfOneCore: number;
}

type ToAgents = { type: 'stop' };
type FromAgents = { type: 'ready'; connected: number } | { type: 'report'; report: AgentReport } | { type: 'fatal'; message: string };

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

/** The agents process: N simulated agents, connected in waves, a few of which drop mid-job once and reconnect. */
async function runAgents(): Promise<void> {
  const send = (m: FromAgents): void => void process.send!(m);
  const n = Number(values.agents);
  const workMs = Number(values['work-ms']);
  const churn = Math.min(n, Number(values.churn));
  const agents = Array.from({ length: n }, (_, i) =>
    new SimAgent({ url: values.url!, token: values.token!, name: `sim-${String(i).padStart(4, '0')}`, workMs: () => Math.random() * 2 * workMs }),
  );
  let reconnects = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < n; i += 50) await Promise.all(agents.slice(i, i + 50).map((a) => a.connect()));
  // Churn: the first offer of each chosen agent is abandoned by dropping the socket; the agent comes back 100 ms later.
  for (const a of agents.slice(0, churn)) {
    const poll = setInterval(() => {
      if (a.offers.length === 0) return;
      clearInterval(poll);
      a.mode = 'hold';
      a.terminate();
      setTimeout(() => {
        a.mode = 'work';
        reconnects++;
        void a.connect().catch((err: Error) => send({ type: 'fatal', message: `reconnect of ${a.device.name}: ${err.message}` }));
      }, 100);
    }, 1);
  }
  send({ type: 'ready', connected: agents.length });
  process.on('message', async (m: ToAgents) => {
    if (m.type !== 'stop') return;
    let duplicateDispatches = 0;
    let resultsSent = 0;
    const modelErrors: string[] = [];
    for (const a of agents) {
      for (const count of a.sentResults.values()) {
        resultsSent += count;
        duplicateDispatches += count - 1;
      }
      modelErrors.push(...a.modelErrors);
    }
    const cpu = process.cpuUsage(cpu0);
    const agentsCpuPercentOfOneCore = Number((((cpu.user + cpu.system) / 1000 / (performance.now() - t0)) * 100).toFixed(1));
    const side = agents.flatMap((a) => a.offerToResultMs).sort((x, y) => x - y);
    const agentSideMs = { p50: round(percentile(side, 50)), p90: round(percentile(side, 90)), p99: round(percentile(side, 99)) };
    await Promise.all(agents.map((a) => a.close()));
    send({ type: 'report', report: { connectedAgents: agents.length, resultsSent, duplicateDispatches, modelErrors, reconnects, agentSideMs, agentsCpuPercentOfOneCore } });
    setTimeout(() => process.exit(0), 50);
  });
}

async function runHost(): Promise<number> {
  const nAgents = Number(values.agents);
  const nJobs = nAgents * Number(values['jobs-per-agent']);
  const maxMs = Number(values['max-seconds']) * 1000;
  const host = await startInProcessHost({ quiet: true });
  const models = Array.from({ length: Number(values.models) }, (_, i) => randomBytes(4096 + ((i * 3001) % 60_000)));
  const shas = models.map((m) => host.store.putModel(m));
  const jobIds: number[] = [];
  host.store.db.transaction(() => {
    for (let j = 0; j < nJobs; j++) {
      jobIds.push(
        host.scheduler.enqueue({
          runId: 'load', target: TARGET, kind: 'measure', arch: `job-${j}`, modelSha256: shas[j % shas.length]!,
          settings: { inputs: [{ name: 'input', dims: [1, 3, 32, 32], dtype: 'float32' }], settings: {} }, dedupeKey: `load|${j}`,
        }),
      );
    }
  })();
  const acceptedPerJob = new Map<number, number>();
  host.server.on('measurement', (e: { jobId: number; outcome: string }) => {
    if (e.outcome !== 'accepted') return;
    acceptedPerJob.set(e.jobId, (acceptedPerJob.get(e.jobId) ?? 0) + 1);
  });

  const child: ChildProcess = fork(fileURLToPath(import.meta.url), [
    '--role', 'agents', '--url', host.agentUrl, '--token', 'reliability-test-token-0123456789abcdef',
    '--agents', String(nAgents), '--work-ms', String(values['work-ms']), '--churn', String(values.churn),
  ], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const fromChild = (type: FromAgents['type']): Promise<FromAgents> =>
    new Promise((resolve, reject) => {
      const onMessage = (m: FromAgents): void => {
        if (m.type === 'fatal') reject(new Error(m.message));
        else if (m.type === type) {
          child.off('message', onMessage);
          resolve(m);
        }
      };
      child.on('message', onMessage);
      child.once('exit', (code) => reject(new Error(`agents process exited (${code}) before '${type}'`)));
    });
  await fromChild('ready');

  // Measure from the moment jobs become available to agents.
  let peakRss = process.memoryUsage().rss;
  let peakHeap = process.memoryUsage().heapUsed;
  const rssBefore = peakRss;
  const sampler = setInterval(() => {
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakHeap = Math.max(peakHeap, m.heapUsed);
  }, 100);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  host.server.setTargets([TARGET]);
  const deadline = Date.now() + maxMs;
  let isTimedOut = false;
  for (;;) {
    const open = (host.store.db.prepare(`SELECT COUNT(*) AS n FROM jobs WHERE run_id = 'load' AND state IN ('queued', 'leased')`).get() as { n: number }).n;
    if (open === 0) break;
    if (Date.now() > deadline) {
      isTimedOut = true;
      break;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  const wallS = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  clearInterval(sampler);
  child.send({ type: 'stop' } satisfies ToAgents);
  const { report } = (await fromChild('report')) as Extract<FromAgents, { type: 'report' }>;

  const rows = host.store.db.prepare(`SELECT m.job_id, m.result_json, j.model_sha256 FROM measurements m JOIN jobs j ON j.id = m.job_id WHERE m.run_id = 'load'`).all() as {
    job_id: number; result_json: string; model_sha256: string;
  }[];
  const states = host.scheduler.counts('load');
  const measuredJobs = new Set(rows.map((r) => r.job_id));
  const lost = jobIds.filter((id) => !measuredJobs.has(id)).length;
  const duplicated = rows.length - measuredJobs.size + [...acceptedPerJob.values()].filter((n) => n > 1).length + report.duplicateDispatches;
  const misattributed = rows.filter((r) => (JSON.parse(r.result_json) as { model: { sha256: string } }).model.sha256 !== r.model_sha256).length;
  const dispatch = rows.map((r) => (JSON.parse(r.result_json) as { dispatch: { offeredToResultMs: number; overheadMs: number } }).dispatch);
  const latency = dispatch.map((d) => d.offeredToResultMs).sort((a, b) => a - b);
  const overhead = dispatch.map((d) => d.overheadMs).sort((a, b) => a - b);
  const figures = {
    agents: report.connectedAgents,
    jobs: nJobs,
    jobsDone: states.done,
    wallS: Number(wallS.toFixed(2)),
    jobsPerSecond: Number((states.done / wallS).toFixed(1)),
    hostCpuPercentOfOneCore: Number((((cpu.user + cpu.system) / 1000 / (wallS * 1000)) * 100).toFixed(1)),
    hostCpuUserS: Number((cpu.user / 1e6).toFixed(2)),
    hostCpuSystemS: Number((cpu.system / 1e6).toFixed(2)),
    hostRssMiB: { before: mib(rssBefore), peak: mib(peakRss) },
    hostHeapPeakMiB: mib(peakHeap),
    dispatchLatencyMs: { p50: percentile(latency, 50), p90: percentile(latency, 90), p99: percentile(latency, 99), max: latency[latency.length - 1] ?? null },
    dispatchOverheadMs: { p50: percentile(overhead, 50), p90: percentile(overhead, 90), p99: percentile(overhead, 99) },
    agentSideOfferToResultMs: report.agentSideMs,
    agentsProcessCpuPercentOfOneCore: report.agentsCpuPercentOfOneCore,
    simulatedWorkMsMean: Number(values['work-ms']),
    churnDrops: report.reconnects,
    resultsSentByAgents: report.resultsSent,
    lost,
    duplicated,
    misattributed,
    failed: states.failed,
    modelTransferErrors: report.modelErrors.length,
    isTimedOut,
  };
  await host.close();
  if (values.json) process.stdout.write(`${JSON.stringify(figures, null, 2)}\n`);
  else printFigures(figures);
  const isOk = !isTimedOut && lost === 0 && duplicated === 0 && misattributed === 0 && states.failed === 0 && report.modelErrors.length === 0;
  return isOk ? 0 : 1;
}

const mib = (bytes: number): number => Number((bytes / 1024 / 1024).toFixed(1));
const round = (x: number): number => Number(x.toFixed(2));

function printFigures(
  f: Record<string, unknown> & {
    dispatchLatencyMs: Record<string, number | null>;
    dispatchOverheadMs: Record<string, number>;
    agentSideOfferToResultMs: Record<string, number>;
    hostRssMiB: Record<string, number>;
  },
): void {
  const lines = [
    `load test: ${f.agents} simulated agents on 127.0.0.1, ${f.jobs} jobs (mean simulated work ${f.simulatedWorkMsMean} ms), ${f.churnDrops} mid-job connection drops`,
    `  jobs done            ${f.jobsDone} in ${f.wallS} s = ${f.jobsPerSecond} jobs/s`,
    `  host CPU             ${f.hostCpuPercentOfOneCore}% of one core (user ${f.hostCpuUserS} s, system ${f.hostCpuSystemS} s)`,
    `  host memory          RSS ${f.hostRssMiB.before} MiB before, ${f.hostRssMiB.peak} MiB peak; heap peak ${f.hostHeapPeakMiB} MiB`,
    `  dispatch latency     offer sent -> result recorded, ms: p50 ${f.dispatchLatencyMs.p50}  p90 ${f.dispatchLatencyMs.p90}  p99 ${f.dispatchLatencyMs.p99}  max ${f.dispatchLatencyMs.max}`,
    `  dispatch overhead    same minus the agent's measuring time, ms: p50 ${f.dispatchOverheadMs.p50}  p90 ${f.dispatchOverheadMs.p90}  p99 ${f.dispatchOverheadMs.p99}`,
    `  agent side           offer received -> result sent (in the agents process), ms: p50 ${f.agentSideOfferToResultMs.p50}  p90 ${f.agentSideOfferToResultMs.p90}  p99 ${f.agentSideOfferToResultMs.p99}; agents process CPU ${f.agentsProcessCpuPercentOfOneCore}% of one core`,
    `  lost ${f.lost}   duplicated ${f.duplicated}   misattributed ${f.misattributed}   failed ${f.failed}   model transfer errors ${f.modelTransferErrors}${f.isTimedOut ? '   TIMED OUT' : ''}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

if (values.role === 'agents') await runAgents();
else process.exitCode = await runHost();
