import { Pool } from 'pg';
import { boundedClientClass } from '../../src/database/bounded-pg-client';
import {
  ReplicaMonitor,
  ReplicaMonitorOptions,
  ReplicaState,
} from '../../src/database/replicas/replica-monitor';
import { currentLsn, StandbyPair, withClient } from '../support/hot-standby';
import { PgBouncer } from '../support/pgbouncer';
import { TcpProxy } from '../support/tcp-proxy';

/** Retries `check` until it passes or `timeoutMs` is over (then its last failure is thrown). */
async function eventually(check: () => void | Promise<void>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (error) {
      if (Date.now() > deadline) {
        throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

// The replica monitor against a real primary and hot standby of the test's own: what it finds
// when the standby dies, comes back, falls behind. The pair is made with the machine's PostgreSQL
// server binaries; like every PostgreSQL suite it runs when TEST_DATABASE_URL is set (CI always
// sets it), and fails if the binaries are missing.
const describePostgres = process.env.TEST_DATABASE_URL ? describe : describe.skip;

describePostgres('ReplicaMonitor', () => {
  let pair: StandbyPair;
  let primary: Pool;
  const monitors: ReplicaMonitor[] = [];
  const transitions: string[] = [];

  function monitor(urls: string[], options: Partial<ReplicaMonitorOptions> = {}): ReplicaMonitor {
    const created = new ReplicaMonitor({
      urls,
      maxLagSeconds: 30,
      pollIntervalMs: 200,
      primaryLsn: async () => {
        const client = await primary.connect();
        try {
          return await currentLsn(client);
        } finally {
          client.release();
        }
      },
      pool: {
        max: 2,
        connectionTimeoutMillis: 2000,
        keepAliveInitialDelayMillis: 10_000,
        Client: boundedClientClass({ statementTimeoutMs: 5000, idleInTransactionTimeoutMs: 5000 }),
      },
      onStateChange: (replica, from, to, reason) =>
        transitions.push(`${replica.name} ${from} -> ${to}${reason ? `: ${reason}` : ''}`),
      ...options,
    });
    monitors.push(created);
    return created;
  }

  async function write(): Promise<bigint> {
    return withClient(pair.primaryUrl, async (client) => {
      await client.query('INSERT INTO written (at) VALUES (now())');
      return currentLsn(client);
    });
  }

  const stateOf = (watching: ReplicaMonitor): ReplicaState => watching.replicas[0].state;

  beforeAll(async () => {
    pair = await StandbyPair.start();
    primary = new Pool({ connectionString: pair.primaryUrl, max: 2 });
    await withClient(pair.primaryUrl, (client) =>
      client.query('CREATE TABLE written (at timestamptz)'),
    );
    await pair.waitForReplay();
  });

  afterEach(async () => {
    await Promise.all(monitors.splice(0).map((watching) => watching.stop()));
    transitions.length = 0;
  });

  afterAll(async () => {
    await primary?.end();
    await pair?.stop();
  });

  it('finds the standby up, down while it is stopped, and up again once it is back', async () => {
    const watching = monitor([pair.standbyUrl]);
    await watching.start();
    const replica = watching.replicas[0];
    expect(replica.name).toBe(new URL(pair.standbyUrl).host + '/postgres');
    expect(replica.state).toBe('up');
    await write();
    await pair.waitForReplay();
    await eventually(async () =>
      expect(watching.usable(await currentLsnOf(primary))).toEqual([replica]),
    );

    // A read leaves an idle connection in the replica's pool, which breaks when the standby stops.
    expect((await replica.pool.query<{ one: number }>('SELECT 1 AS one')).rows).toEqual([
      { one: 1 },
    ]);

    await pair.stopStandby('fast');
    await eventually(() => expect(stateOf(watching)).toBe('down'));
    expect(watching.usable(0n)).toEqual([]);
    await expect(replica.pool.query('SELECT 1')).rejects.toThrow();

    await pair.startStandby();
    await eventually(() => expect(stateOf(watching)).toBe('up'));
    expect(watching.usable(0n)).toEqual([replica]);
    expect(transitions[0]).toBe(`${replica.name} down -> up`);
    expect(transitions[transitions.length - 1]).toBe(`${replica.name} down -> up`);
    expect(transitions.some((line) => line.startsWith(`${replica.name} up -> down: `))).toBe(true);
  });

  it('does the same through a PgBouncer in front of the standby', async () => {
    const bouncer = await PgBouncer.start(pair.standbyUrl);
    try {
      const watching = monitor([bouncer.url()]);
      await watching.start();
      expect(stateOf(watching)).toBe('up');

      await pair.stopStandby('fast');
      await eventually(() => expect(stateOf(watching)).toBe('down'));

      await pair.startStandby();
      // PgBouncer tries the server again only server_login_retry (15 s) after a failed login.
      await eventually(() => expect(stateOf(watching)).toBe('up'), 60_000);
      expect(watching.usable(0n)).toEqual(watching.replicas);
    } finally {
      await Promise.all(monitors.splice(0).map((watching) => watching.stop()));
      await bouncer.stop();
    }
  });

  it('finds a standby that goes silent down within the poll bound, and up once it answers again', async () => {
    const { proxy, url } = await TcpProxy.inFrontOf(pair.standbyUrl);
    try {
      // node-postgres's own client: nothing but the monitor bounds a query on a silent server.
      const watching = monitor([url], {
        pool: { max: 2, connectionTimeoutMillis: 2000, keepAliveInitialDelayMillis: 10_000 },
      });
      await watching.start();
      expect(stateOf(watching)).toBe('up');

      proxy.partition();
      await eventually(() => expect(stateOf(watching)).toBe('down'));
      expect(transitions[transitions.length - 1]).toMatch(/ up -> down: no answer within 1000 ms$/);

      proxy.heal();
      await eventually(() => expect(stateOf(watching)).toBe('up'));
    } finally {
      await Promise.all(monitors.splice(0).map((watching) => watching.stop()));
      await proxy.stop();
    }
  });

  it('keeps a read that needs a write the standby has not replayed on the primary', async () => {
    const watching = monitor([pair.standbyUrl], { maxLagSeconds: 3600 });
    await watching.start();
    await pair.waitForReplay();
    const replayed = await currentLsnOf(primary);
    await pair.setApplyDelay(600_000);
    try {
      const unreplayed = await write();
      await watching.pollOnce();

      expect(stateOf(watching)).toBe('up');
      expect(watching.replicas[0].replayedLsn).toBeLessThan(unreplayed);
      expect(watching.usable(unreplayed)).toEqual([]);
      expect(watching.usable(replayed)).toEqual(watching.replicas);
    } finally {
      await pair.setApplyDelay(0);
    }
    await pair.waitForReplay();
    const latest = await currentLsnOf(primary);
    await watching.pollOnce();
    expect(watching.usable(latest)).toEqual(watching.replicas);
  });

  it('finds the standby lagging when it falls further behind than allowed, and up once it catches up', async () => {
    const watching = monitor([pair.standbyUrl], { maxLagSeconds: 1 });
    await watching.start();
    await pair.setApplyDelay(600_000);
    let writing = true;
    const writer = (async () => {
      while (writing) {
        await write();
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();
    try {
      await eventually(() => expect(stateOf(watching)).toBe('lagging'));
      expect(watching.usable(0n)).toEqual([]);
      expect(
        transitions.some((line) => / up -> lagging: [\d.]+ s behind the primary$/.test(line)),
      ).toBe(true);
    } finally {
      writing = false;
      await writer;
      await pair.setApplyDelay(0);
    }
    await pair.waitForReplay();
    await eventually(() => expect(stateOf(watching)).toBe('up'));
  });

  it('gives no reads to a server that is not in recovery', async () => {
    const watching = monitor([pair.primaryUrl]);
    await watching.start();

    expect(stateOf(watching)).toBe('not_replica');
    expect(watching.usable(0n)).toEqual([]);
    expect(transitions).toEqual([
      `${watching.replicas[0].name} down -> not_replica: the server is not in recovery: it is not a replica`,
    ]);
  });

  it('brings no replica up while the primary cannot tell its WAL position', async () => {
    const watching = monitor([pair.standbyUrl], {
      primaryLsn: () => Promise.reject(new Error('the primary is unreachable')),
    });
    await watching.start();
    await watching.pollOnce();

    expect(stateOf(watching)).toBe('down');
    expect(watching.usable(0n)).toEqual([]);
  });
});

async function currentLsnOf(pool: Pool): Promise<bigint> {
  const client = await pool.connect();
  try {
    return await currentLsn(client);
  } finally {
    client.release();
  }
}
