import { databaseEnv, runCli } from '../support/cli-runner';
import {
  buildPostgresLangflow,
  buildSqliteLangflow,
  fixtureMessageId,
  hyphenated,
  LANGFLOW,
  LANGFLOW_RUN_FIELDS,
} from '../support/langflow-fixture';
import { describeEachDatabase } from '../support/test-app';

/** The keys the import printed for new users, by username. */
function printedKeys(stdout: string): Record<string, string> {
  return Object.fromEntries(
    [...stdout.matchAll(/^ {2}(\S+) (sk-\S+)$/gm)].map((match) => [match[1], match[2]]),
  );
}

describeEachDatabase('npm run cli -- import-langflow', (ctx) => {
  // The Langflow database is of the same kind as the service's: SQLite (an older Langflow, unless
  // `runFields`) into SQLite, PostgreSQL (a newer Langflow, with context_id, job_id, duration and
  // session_metadata) into PostgreSQL.
  async function withLangflow(
    work: (from: string) => Promise<void>,
    options: { runFields?: boolean } = {},
  ): Promise<void> {
    if (ctx().database.name === 'sqlite') {
      const fixture = buildSqliteLangflow(options);
      try {
        await work(fixture.file);
      } finally {
        fixture.remove();
      }
      return;
    }
    const fixture = await buildPostgresLangflow(ctx().database.url);
    try {
      await work(fixture.url);
    } finally {
      await fixture.remove();
    }
  }

  const importFrom = (from: string) =>
    runCli(['import-langflow', '--from', from], databaseEnv(ctx().database), 120_000);

  it('brings users, flows, messages, transactions and builds over, and a second run changes nothing', async () => {
    await withLangflow(async (from) => {
      const first = await importFrom(from);
      expect(first.stderr).toContain('messages');
      expect(first.code).toBe(0);
      expect(first.stdout).toContain('  users: 3 new, 0 already here');
      expect(first.stdout).toContain('  flows: 3 new, 0 already here, 1 skipped (no owner)');
      expect(first.stdout).toContain(
        '  messages: 4 new, 0 already here, 1 skipped (no flow), 1 skipped (flow not brought over)',
      );
      expect(first.stdout).toContain('  transactions: 2 new, 0 already here');
      expect(first.stdout).toContain('  builds: 3 new, 0 already here');
      const keys = printedKeys(first.stdout);
      expect(Object.keys(keys).sort()).toEqual(['alice', 'bob', 'carol']);

      const api = ctx().api;
      const aliceChat = hyphenated(LANGFLOW.flows.aliceChat);
      const messages = await api.get('/api/v1/monitor/messages', { key: keys.alice });
      expect(messages.status).toBe(200);
      expect(messages.body).toEqual([
        {
          id: fixtureMessageId(1),
          flow_id: aliceChat,
          timestamp: '2024-06-01T12:30:45.123Z',
          sender: 'User',
          sender_name: 'User',
          session_id: 'chat 1',
          context_id: ctx().database.name === 'postgres' ? 'ctx-1' : null,
          text: 'Hello',
          files: ['a.png'],
          edit: false,
          properties: { source: 'web' },
          category: 'message',
          content_blocks: [],
          // An older Langflow (the SQLite fixture) has neither column.
          duration: ctx().database.name === 'postgres' ? LANGFLOW_RUN_FIELDS.duration : null,
          session_metadata:
            ctx().database.name === 'postgres'
              ? JSON.parse(LANGFLOW_RUN_FIELDS.sessionMetadata)
              : null,
        },
        {
          id: fixtureMessageId(2),
          flow_id: aliceChat,
          timestamp: '2024-06-01T12:30:46.000Z',
          sender: 'Machine',
          sender_name: 'AI',
          session_id: 'chat 1',
          context_id: null,
          text: 'Hi! 🚀',
          files: ['b.png'],
          edit: true,
          properties: {},
          category: 'message',
          content_blocks: [{ title: 't', contents: [] }],
          duration: null,
          session_metadata: null,
        },
        expect.objectContaining({
          id: fixtureMessageId(3),
          flow_id: hyphenated(LANGFLOW.flows.aliceTools),
          timestamp: '2024-06-02T08:00:00.500Z',
          text: '',
        }),
      ]);
      const bobs = await api.get('/api/v1/monitor/messages', { key: keys.bob });
      expect(bobs.body.map((m: any) => m.text)).toEqual(['Bob here']);
      // carol is inactive in Langflow: her new key does not work.
      expect((await api.get('/api/v1/monitor/messages', { key: keys.carol })).status).toBe(403);

      const transactions = await api.get('/api/v1/monitor/transactions', {
        key: keys.alice,
        query: { flow_id: aliceChat },
      });
      expect(transactions.body).toMatchObject({ total: 2, pages: 1 });
      expect(transactions.body.items[1]).toEqual({
        id: fixtureMessageId(11),
        timestamp: '2024-06-01T12:30:45.000Z',
        vertex_id: 'OpenAIModel-1',
        target_id: 'ChatOutput-1',
        inputs: { input_value: 'Hello', api_key: 'sk-p...mnop', max_tokens: 5 },
        outputs: { text: 'Hi' },
        status: 'success',
        error: null,
        flow_id: aliceChat,
      });
      expect(transactions.body.items[0]).toMatchObject({ status: 'error', error: 'invalid key' });
      // Bob does not see alice's flow.
      const foreign = await api.get('/api/v1/monitor/transactions', {
        key: keys.bob,
        query: { flow_id: aliceChat },
      });
      expect(foreign.body.total).toBe(0);

      const builds = await api.get('/api/v1/monitor/builds', {
        key: keys.alice,
        query: { flow_id: aliceChat },
      });
      expect(Object.keys(builds.body.vertex_builds)).toEqual(['ChatOutput-1', 'ChatInput-1']);
      expect(builds.body.vertex_builds['ChatInput-1']).toEqual([
        {
          build_id: fixtureMessageId(22),
          id: 'ChatInput-1',
          flow_id: aliceChat,
          job_id:
            ctx().database.name === 'postgres' ? '99999999-9999-4999-8999-999999999999' : null,
          timestamp: '2024-06-01T12:30:50.000Z',
          data: null,
          artifacts: null,
          params: null,
          valid: false,
        },
      ]);

      const tables = ['user', 'api_key', 'flow', 'message', 'transaction', 'vertex_build'];
      const counts = async () => {
        const result: Record<string, number> = {};
        for (const table of tables) {
          const [row] = await ctx().dataSource.query<{ count: string | number }[]>(
            `SELECT COUNT(*) AS "count" FROM "${table}"`,
          );
          result[table] = Number(row.count);
        }
        return result;
      };
      const before = await counts();

      const second = await importFrom(from);

      expect(second.code).toBe(0);
      expect(second.stdout).toContain('  users: 0 new, 3 already here');
      expect(second.stdout).toContain('  flows: 0 new, 3 already here, 1 skipped (no owner)');
      expect(second.stdout).toContain('  messages: 0 new, 4 already here');
      expect(second.stdout).toContain('  transactions: 0 new, 2 already here');
      expect(second.stdout).toContain('  builds: 0 new, 3 already here');
      expect(printedKeys(second.stdout)).toEqual({});
      expect(await counts()).toEqual(before);
    });
  });

  it("brings Langflow 1.11's duration and session_metadata over as they were stored", async () => {
    await withLangflow(
      async (from) => {
        const run = await importFrom(from);
        expect(run.code).toBe(0);
        expect(run.stdout).toContain('  messages: 4 new');
        const key = printedKeys(run.stdout).alice;

        const read = await ctx().api.get(`/api/v1/monitor/messages/${fixtureMessageId(1)}`, {
          key,
        });
        expect(read.status).toBe(200);
        expect(read.text).toContain(
          `"duration":${LANGFLOW_RUN_FIELDS.duration},"session_metadata":${LANGFLOW_RUN_FIELDS.sessionMetadata}}`,
        );
        const other = await ctx().api.get(`/api/v1/monitor/messages/${fixtureMessageId(2)}`, {
          key,
        });
        expect(other.body).toMatchObject({ duration: null, session_metadata: null });
      },
      { runFields: true },
    );
  });

  it('fails with a sentence and exit code 1 for a missing SQLite file, 2 without --from', async () => {
    const missing = await importFrom('/nonexistent/langflow.db');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('No Langflow database at /nonexistent/langflow.db');

    const usage = await runCli(['import-langflow'], databaseEnv(ctx().database));
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('--from');
  });
});
