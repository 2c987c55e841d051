import { messageInput } from '../factories/messages';
import { createUser } from '../factories/users';
import { describeEachDatabase } from '../support/test-app';

const MESSAGES = '/api/v1/monitor/messages';

// Written as raw JSON text: an object literal in code would set a prototype, not a key.
const PROPERTIES =
  '{"__proto__":{"polluted":true},"constructor":{"prototype":{"x":1}},"prototype":[1,{"__proto__":null}],"plain":"ok"}';
const CONTENT_BLOCKS =
  '[{"__proto__":"a","constructor":1},{"prototype":{"constructor":{"name":"n"}}}]';

/** The raw JSON text of one field as it appears in an answer's bytes. */
function rawField(text: string, field: string): string {
  const start = text.indexOf(`"${field}":`) + field.length + 3;
  // Both fields are the last-but-two and last of MessageResponse: cut at the next known field.
  const end = field === 'properties' ? text.indexOf(',"category":', start) : text.lastIndexOf('}');
  return text.slice(start, end);
}

describeEachDatabase('__proto__, constructor and prototype keys inside free-form fields', (ctx) => {
  it('are stored and returned exactly as given, in the answer and in the database', async () => {
    const alice = await createUser(ctx());
    const message = JSON.stringify(messageInput({ session_id: 'keys' }));
    const body = `[${message.slice(0, -1)},"properties":${PROPERTIES},"content_blocks":${CONTENT_BLOCKS}}]`;

    const created = await ctx().api.post(MESSAGES, { key: alice.key, rawBody: body });
    expect(created.status).toBe(201);
    expect(rawField(created.text, 'properties')).toBe(PROPERTIES);
    expect(rawField(created.text, 'content_blocks')).toBe(`${CONTENT_BLOCKS}`);

    const id = (created.body as { id: string }[])[0].id;
    const read = await ctx().api.get(`${MESSAGES}/${id}`, { key: alice.key });
    expect(rawField(read.text, 'properties')).toBe(PROPERTIES);
    expect(rawField(read.text, 'content_blocks')).toBe(CONTENT_BLOCKS);
    const listed = await ctx().api.get(MESSAGES, { key: alice.key });
    expect(listed.text).toContain(PROPERTIES);
    expect(listed.text).toContain(CONTENT_BLOCKS);
    const exported = await ctx().api.get(`${MESSAGES}/export`, { key: alice.key });
    expect(exported.text).toContain(PROPERTIES);

    const [row] = await ctx().dataSource.query<{ properties: string; content_blocks: string }[]>(
      'SELECT "properties", "content_blocks" FROM "message" WHERE "id" = $1'.replace(
        '$1',
        ctx().database.name === 'sqlite' ? '?' : '$1',
      ),
      [id],
    );
    expect(row.properties).toBe(PROPERTIES);
    expect(row.content_blocks).toBe(CONTENT_BLOCKS);
    // Nothing leaked into the process's prototypes.
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('survive an update through PUT', async () => {
    const alice = await createUser(ctx());
    const created = await ctx().api.post(MESSAGES, { key: alice.key, body: [messageInput()] });
    const id = (created.body as { id: string }[])[0].id;

    const updated = await ctx().api.put(`${MESSAGES}/${id}`, {
      key: alice.key,
      rawBody: `{"properties":${PROPERTIES},"content_blocks":${CONTENT_BLOCKS}}`,
    });
    expect(updated.status).toBe(200);
    expect(rawField(updated.text, 'properties')).toBe(PROPERTIES);
    expect(rawField(updated.text, 'content_blocks')).toBe(CONTENT_BLOCKS);
    const read = await ctx().api.get(`${MESSAGES}/${id}`, { key: alice.key });
    expect(rawField(read.text, 'properties')).toBe(PROPERTIES);
  });
});
