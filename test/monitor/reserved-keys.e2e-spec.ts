import { messageInput } from '../factories/messages';
import { createUser } from '../factories/users';
import { describeEachDatabase } from '../support/test-app';

const MESSAGES = '/api/v1/monitor/messages';

// Written as raw JSON text: an object literal in code would set a prototype, not a key.
const PROPERTIES =
  '{"__proto__":{"polluted":true},"constructor":{"prototype":{"x":1}},"prototype":[1,{"__proto__":null}],"plain":"ok"}';
const CONTENT_BLOCKS =
  '[{"__proto__":"a","constructor":1},{"prototype":{"constructor":{"name":"n"}}}]';
const SESSION_METADATA =
  '{"__proto__":{"isAdmin":true},"constructor":{"prototype":{"y":2}},"prototype":null,"tenant":"t"}';

/** Which field follows each free-form one in MessageResponse (session_metadata is the last). */
const NEXT_FIELD: Record<string, string> = {
  properties: 'category',
  content_blocks: 'duration',
};

/** The raw JSON text of one field as it appears in an answer's bytes (of one message). */
function rawField(text: string, field: string): string {
  const start = text.indexOf(`"${field}":`) + field.length + 3;
  const next = NEXT_FIELD[field];
  const end = next ? text.indexOf(`,"${next}":`, start) : text.lastIndexOf('}');
  return text.slice(start, end);
}

describeEachDatabase('__proto__, constructor and prototype keys inside free-form fields', (ctx) => {
  it('are stored and returned exactly as given, in the answer and in the database', async () => {
    const alice = await createUser(ctx());
    const message = JSON.stringify(messageInput({ session_id: 'keys' }));
    const body = `[${message.slice(0, -1)},"properties":${PROPERTIES},"content_blocks":${CONTENT_BLOCKS},"session_metadata":${SESSION_METADATA}}]`;

    const created = await ctx().api.post(MESSAGES, { key: alice.key, rawBody: body });
    expect(created.status).toBe(201);
    expect(rawField(created.text, 'properties')).toBe(PROPERTIES);
    expect(rawField(created.text, 'content_blocks')).toBe(`${CONTENT_BLOCKS}`);
    expect(rawField(created.text, 'session_metadata')).toBe(SESSION_METADATA);

    const id = (created.body as { id: string }[])[0].id;
    const read = await ctx().api.get(`${MESSAGES}/${id}`, { key: alice.key });
    expect(rawField(read.text, 'properties')).toBe(PROPERTIES);
    expect(rawField(read.text, 'content_blocks')).toBe(CONTENT_BLOCKS);
    expect(rawField(read.text, 'session_metadata')).toBe(SESSION_METADATA);
    const listed = await ctx().api.get(MESSAGES, { key: alice.key });
    expect(listed.text).toContain(PROPERTIES);
    expect(listed.text).toContain(CONTENT_BLOCKS);
    expect(listed.text).toContain(SESSION_METADATA);
    const exported = await ctx().api.get(`${MESSAGES}/export`, { key: alice.key });
    expect(exported.text).toContain(PROPERTIES);
    expect(exported.text).toContain(SESSION_METADATA);

    const [row] = await ctx().dataSource.query<
      { properties: string; content_blocks: string; session_metadata: string }[]
    >(
      'SELECT "properties", "content_blocks", "session_metadata" FROM "message" WHERE "id" = $1'.replace(
        '$1',
        ctx().database.name === 'sqlite' ? '?' : '$1',
      ),
      [id],
    );
    expect(row.properties).toBe(PROPERTIES);
    expect(row.content_blocks).toBe(CONTENT_BLOCKS);
    expect(row.session_metadata).toBe(SESSION_METADATA);
    // Nothing leaked into the process's prototypes.
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('survive an update through PUT', async () => {
    const alice = await createUser(ctx());
    const created = await ctx().api.post(MESSAGES, { key: alice.key, body: [messageInput()] });
    const id = (created.body as { id: string }[])[0].id;

    const updated = await ctx().api.put(`${MESSAGES}/${id}`, {
      key: alice.key,
      rawBody: `{"properties":${PROPERTIES},"content_blocks":${CONTENT_BLOCKS},"session_metadata":${SESSION_METADATA}}`,
    });
    expect(updated.status).toBe(200);
    expect(rawField(updated.text, 'properties')).toBe(PROPERTIES);
    expect(rawField(updated.text, 'content_blocks')).toBe(CONTENT_BLOCKS);
    expect(rawField(updated.text, 'session_metadata')).toBe(SESSION_METADATA);
    const read = await ctx().api.get(`${MESSAGES}/${id}`, { key: alice.key });
    expect(rawField(read.text, 'properties')).toBe(PROPERTIES);
    expect(rawField(read.text, 'session_metadata')).toBe(SESSION_METADATA);
  });
});
