import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseQueueEndpoint } from '../../../../host/queue/queueEndpoint.js';
import { fromAnswer, scoringJobId, ScoringJobSchema, toAnswer, type ScoringJob } from '../../../../host/queue/scoringJob.js';

describe('parseQueueEndpoint', () => {
  it('reads host, port, database and user; the printable URL never holds the password', () => {
    const e = parseQueueEndpoint('redis://scorer@10.0.0.5:6380/2', { env: { ZERONAS_REDIS_PASSWORD: 's3cret' } });
    expect(e.connection).toMatchObject({ host: '10.0.0.5', port: 6380, db: 2, username: 'scorer', password: 's3cret', maxRetriesPerRequest: null });
    expect(e.url).toBe('redis://scorer@10.0.0.5:6380/2');
    expect(e.queueName).toBe('zeronas-scoring');
    expect(parseQueueEndpoint('redis://localhost', { env: {} }).connection).toMatchObject({ host: 'localhost', port: 6379, db: 0 });
    expect(parseQueueEndpoint('redis://localhost', { env: {} }).connection.password).toBeUndefined();
  });

  it('takes the password from a file before the environment', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'zn-q-')), 'pw');
    writeFileSync(file, 'from-file\n');
    expect(parseQueueEndpoint('redis://h:1', { passwordFile: file, env: { ZERONAS_REDIS_PASSWORD: 'from-env' } }).connection.password).toBe('from-file');
    expect(() => parseQueueEndpoint('redis://h:1', { passwordFile: join(file, 'missing') })).toThrow(/cannot read --queue-password-file '.*missing'/);
  });

  it('rediss:// turns TLS on, with the server name checked', () => {
    expect(parseQueueEndpoint('rediss://cache.example.org:6380', { env: {} }).connection.tls).toEqual({ servername: 'cache.example.org' });
  });

  it('refuses a password on the command line, other schemes, bad databases and queue names, naming them', () => {
    expect(() => parseQueueEndpoint('redis://:hunter2@h:6379')).toThrow(/must not carry a password/);
    try {
      parseQueueEndpoint('redis://:hunter2@h:6379');
    } catch (err) {
      expect((err as Error).message).not.toContain('hunter2');
    }
    expect(() => parseQueueEndpoint('http://h:6379')).toThrow(/--queue 'http:\/\/h:6379' has scheme 'http:'/);
    expect(() => parseQueueEndpoint('localhost:6379x')).toThrow(/is not a URL|has scheme/);
    expect(() => parseQueueEndpoint('redis://h/x')).toThrow(/the database 'x'/);
    expect(() => parseQueueEndpoint('redis://h', { queueName: 'a b' })).toThrow(/--queue-name 'a b'/);
  });
});

describe('scoring jobs', () => {
  const job: ScoringJob = {
    v: 1,
    space: 'nb201',
    spaceOptions: {},
    arch: '|nor_conv_3x3~0|+|none~0|none~1|+|none~0|none~1|skip_connect~2|',
    proxy: 'zico',
    settings: { batchSize: 64, batches: 2, seed: 0 },
    data: { sha256: 'a'.repeat(64), label: 'x.bin' },
    code: 'b'.repeat(64),
  };

  it('the id is the job: equal jobs share it, any field that changes the score changes it, the data label does not', () => {
    expect(scoringJobId(job)).toBe(scoringJobId({ ...job, settings: { ...job.settings } }));
    expect(scoringJobId({ ...job, data: { ...job.data, label: 'renamed.bin' } })).toBe(scoringJobId(job));
    for (const other of [{ ...job, proxy: 'swap' }, { ...job, settings: { ...job.settings, seed: 1 } }, { ...job, code: 'c'.repeat(64) }, { ...job, data: { ...job.data, sha256: 'd'.repeat(64) } }, { ...job, spaceOptions: { scoreResolution: 64 } }]) {
      expect(scoringJobId(other)).not.toBe(scoringJobId(job));
    }
  });

  it('answers keep -Infinity and full double precision through JSON', () => {
    for (const value of [Number.NEGATIVE_INFINITY, 0.1 + 0.2, -Math.PI / 3e299]) {
      const wire = JSON.parse(JSON.stringify(toAnswer({ ok: true, value }, 0.5, 'w1')));
      expect(fromAnswer(wire)).toEqual({ ok: true, value });
    }
    expect(fromAnswer(toAnswer({ ok: false, reason: 'no conv' }, 0.1, 'w1'))).toEqual({ ok: false, reason: 'no conv' });
  });

  it('the schema refuses fields a worker must never act on', () => {
    expect(ScoringJobSchema.safeParse(job).success).toBe(true);
    expect(ScoringJobSchema.safeParse({ ...job, dataPath: '/etc/shadow' }).success).toBe(false);
    expect(ScoringJobSchema.safeParse({ ...job, proxy: '../x' }).success).toBe(false);
    expect(ScoringJobSchema.safeParse({ ...job, settings: { ...job.settings, batchSize: 1e9 } }).success).toBe(false);
  });
});
