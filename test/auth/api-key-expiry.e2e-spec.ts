import { ApiKey } from '../../src/auth/api-key.entity';
import { createUser } from '../factories/users';
import { describeEachDatabase } from '../support/test-app';

const KEYS = '/api/v1/api_key/';
const MESSAGES = '/api/v1/monitor/messages';
const INVALID = { detail: 'Invalid or missing API key' };

const inOneHour = () => new Date(Date.now() + 3_600_000).toISOString();

describeEachDatabase('API key expiry and last use', (ctx) => {
  function stored(id: string): Promise<ApiKey | null> {
    return ctx().dataSource.getRepository(ApiKey).findOneBy({ id });
  }

  it('a key made with expires_at works until then, and is refused with 403 after', async () => {
    const alice = await createUser(ctx());
    const expiresAt = inOneHour();
    const created = await ctx().api.post(KEYS, {
      key: alice.key,
      body: { name: 'short-lived', expires_at: expiresAt.replace('Z', '+00:00') },
    });
    expect(created.status).toBe(201);
    expect(created.body.expires_at).toBe(expiresAt);
    expect((await ctx().api.get(MESSAGES, { key: created.body.api_key })).status).toBe(200);

    // Time passes: the stored expiry is now in the past.
    await ctx()
      .dataSource.getRepository(ApiKey)
      .update({ id: created.body.id }, { expiresAt: new Date(Date.now() - 1000).toISOString() });

    const refused = await ctx().api.get(MESSAGES, { key: created.body.api_key });
    expect(refused.status).toBe(403);
    expect(refused.body).toEqual(INVALID);
    const minting = await ctx().api.post(KEYS, { key: created.body.api_key, body: {} });
    expect(minting.status).toBe(403);
    expect((await ctx().api.get(MESSAGES, { key: alice.key })).status).toBe(200);
  });

  it('refuses an expiry in the past or that is not a time, making no key', async () => {
    const alice = await createUser(ctx());
    for (const [expires_at, type, msg, input] of [
      // A valid time is echoed in the stored form.
      [
        '2020-01-01T00:00:00Z',
        'value_error',
        'Value error, must be in the future',
        '2020-01-01T00:00:00.000Z',
      ],
      ['tomorrow', 'datetime_parsing', 'Input should be a valid datetime (RFC 3339)', 'tomorrow'],
      [42, 'string_type', 'Input should be a valid datetime', 42],
    ]) {
      const response = await ctx().api.post(KEYS, { key: alice.key, body: { expires_at } });
      expect(response.status).toBe(422);
      expect(response.body.detail).toEqual([{ type, loc: ['body', 'expires_at'], msg, input }]);
    }
    expect(await ctx().dataSource.getRepository(ApiKey).countBy({ userId: alice.id })).toBe(1);
  });

  it('a key that expires cannot mint a key that outlives it', async () => {
    const alice = await createUser(ctx());
    const expiresAt = inOneHour();
    const parent = await ctx().api.post(KEYS, {
      key: alice.key,
      body: { expires_at: expiresAt },
    });
    const inherited = await ctx().api.post(KEYS, { key: parent.body.api_key, body: {} });
    expect(inherited.status).toBe(201);
    expect(inherited.body.expires_at).toBe(expiresAt);

    const later = new Date(Date.now() + 7_200_000).toISOString();
    const refused = await ctx().api.post(KEYS, {
      key: parent.body.api_key,
      body: { expires_at: later },
    });
    expect(refused.status).toBe(422);
    expect(refused.body.detail[0]).toMatchObject({
      type: 'value_error',
      loc: ['body', 'expires_at'],
      input: later,
    });
    expect(await ctx().dataSource.getRepository(ApiKey).countBy({ userId: alice.id })).toBe(3);
  });

  it('records last use at most once a minute, and lists it', async () => {
    const alice = await createUser(ctx());
    const [key] = await ctx().dataSource.getRepository(ApiKey).findBy({ userId: alice.id });
    expect(key.lastUsedAt).toBeNull();

    const { count: firstCount } = await ctx().countStatements(() =>
      ctx().api.get(MESSAGES, { key: alice.key }),
    );
    const first = (await stored(key.id))!.lastUsedAt;
    expect(first).not.toBeNull();
    expect(Date.now() - Date.parse(first!)).toBeLessThan(60_000);

    // Within the minute: no more writes, the stored time stays.
    const { statements } = await ctx().countStatements(async () => {
      for (let index = 0; index < 5; index += 1) {
        await ctx().api.get(MESSAGES, { key: alice.key });
      }
    });
    expect(statements.filter((sql) => /^\s*UPDATE\s+"api_key"/i.test(sql))).toEqual([]);
    expect((await stored(key.id))!.lastUsedAt).toBe(first);
    expect(firstCount).toBeGreaterThan(0);

    // A minute later it is written again.
    const old = new Date(Date.now() - 120_000).toISOString();
    await ctx().dataSource.getRepository(ApiKey).update({ id: key.id }, { lastUsedAt: old });
    // Listing is a use too: it shows the time it just wrote.
    const listed = await ctx().api.get(KEYS, { key: alice.key });
    const current = (await stored(key.id))!.lastUsedAt!;
    expect(current > old).toBe(true);
    expect(listed.body.api_keys[0].last_used_at).toBe(current);
  });
});
