/**
 * Figures of the freeze and flood attacks on a live `zeronas orchestrate` (issue #19, SECURITY.md): while strangers
 * attack, an honest agent connects again and again and times hello -> welcome; afterwards, whether the host dropped its
 * own local agent, how many bytes the run log grew and how much the host's RSS grew.
 *
 *   npx tsx scripts/bench/hostAttacks.ts [--bin <checkout>/bin/zeronas.js] [--attackers 8] [--seconds 9] [--floods 1]
 *
 * `--floods n` repeats the flood n times and prints the host's RSS after each: growth that keeps adding up is a leak,
 * growth that levels off is the heap sizing itself to the load.
 *
 * `--bin` attacks another checkout's host (e.g. a `git worktree` of an older commit, with this node_modules linked),
 * so the same script prints the before and after figures. Everything runs on this machine over loopback.
 */
import { deepJsonAttack, honestHelloMs, invalidFrameFlood, startLiveHost, type LiveHost } from '../../test/helpers/hostAttack.js';

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
};
const bin = arg('bin', '');
const attackers = Number(arg('attackers', '8'));
const seconds = Number(arg('seconds', '9'));
const floods = Number(arg('floods', '1'));

/** Times honest hellos back to back until `done` settles; returns every hello -> welcome in ms (failures as Infinity). */
async function honestWhile(host: LiveHost, done: Promise<unknown>, tag: string): Promise<number[]> {
  let isDone = false;
  void done.finally(() => (isDone = true));
  const times: number[] = [];
  for (let i = 0; !isDone; i++) {
    const t = await Promise.race([
      honestHelloMs(host.port, host.token, `honest-${tag}-${i}`).catch(() => Number.POSITIVE_INFINITY),
      new Promise<number>((r) => setTimeout(() => r(Number.POSITIVE_INFINITY), 60_000)),
    ]);
    times.push(t);
    await new Promise((r) => setTimeout(r, 100));
  }
  return times;
}

function describeTimes(times: number[]): string {
  const finite = times.filter(Number.isFinite).sort((a, b) => a - b);
  const failed = times.length - finite.length;
  const median = finite.length ? finite[Math.floor(finite.length / 2)]! : Number.NaN;
  const max = finite.length ? finite[finite.length - 1]! : Number.NaN;
  return `${times.length} honest hellos: median ${median.toFixed(0)} ms, max ${max.toFixed(0)} ms${failed ? `, ${failed} not welcomed within 60 s` : ''}`;
}

async function main(): Promise<void> {
  const host = await startLiveHost(bin ? { bin } : {});
  const dropped = (): boolean => new RegExp(`agent ${host.localAgentId} (disconnected|silent)`).test(host.proc.output());
  console.log(`host under attack: ${bin || 'this checkout'} (pid ${host.proc.child.pid}, port ${host.port})`);
  try {
    // Freeze: deep JSON before hello.
    let rss0 = host.rssKiB();
    let log0 = host.logBytes();
    const deep = deepJsonAttack(host.port, attackers);
    const deepTimes = await honestWhile(host, deep, 'deep');
    await new Promise((r) => setTimeout(r, 3_000));
    console.log(
      `freeze: ${attackers} x 4 MiB deep-JSON frames before hello: ${describeTimes(deepTimes)}; local agent dropped: ${dropped() ? 'yes' : 'no'}; ` +
        `log +${host.logBytes() - log0} bytes; RSS +${((host.rssKiB() - rss0) / 1024).toFixed(1)} MiB`,
    );
    // Flood: 7-byte invalid frames, reconnecting when closed.
    rss0 = host.rssKiB();
    for (let k = 1; k <= floods; k++) {
      log0 = host.logBytes();
      const flood = invalidFrameFlood(host.port, seconds * 1000, attackers);
      const floodTimes = await honestWhile(host, flood, `flood${k}`);
      const f = await flood;
      await new Promise((r) => setTimeout(r, 1_000));
      const grown = host.logBytes() - log0;
      console.log(
        `flood ${k}: ${attackers} addresses x ${seconds} s of 7-byte invalid frames (${f.frames} frames sent, ${f.connections} connections): ${describeTimes(floodTimes)}; ` +
          `local agent dropped: ${dropped() ? 'yes' : 'no'}; log +${grown} bytes (${(grown / attackers / 1024).toFixed(1)} KiB per attacking address); RSS +${((host.rssKiB() - rss0) / 1024).toFixed(1)} MiB since before the first flood`,
      );
    }
  } finally {
    await host.close();
  }
}

void main().catch((err: Error) => {
  console.error(err.stack ?? err.message);
  process.exit(1);
});
