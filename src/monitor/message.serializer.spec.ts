import { MessageRow } from './message-row';
import { serializeMessage, serializeMessages } from './message.serializer';

function row(overrides: Partial<MessageRow> = {}): MessageRow {
  return {
    id: '0193a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2b',
    flow_id: '9a1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d',
    timestamp: '2026-11-24T13:09:00.123Z',
    sender: 'User',
    sender_name: 'User',
    session_id: 'support-chat-42',
    context_id: null,
    text: 'Hello',
    files: '[]',
    edit: false,
    properties: '{}',
    category: 'message',
    content_blocks: '[]',
    duration: null,
    session_metadata: null,
    ...overrides,
  };
}

describe('serializeMessage', () => {
  it('writes valid JSON with the fields in the contract order', () => {
    const json = serializeMessage(row());
    expect(Object.keys(JSON.parse(json))).toEqual([
      'id',
      'flow_id',
      'timestamp',
      'sender',
      'sender_name',
      'session_id',
      'context_id',
      'text',
      'files',
      'edit',
      'properties',
      'category',
      'content_blocks',
      'duration',
      'session_metadata',
    ]);
    expect(JSON.parse(json)).toEqual({
      id: '0193a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2b',
      flow_id: '9a1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d',
      timestamp: '2026-11-24T13:09:00.123Z',
      sender: 'User',
      sender_name: 'User',
      session_id: 'support-chat-42',
      context_id: null,
      text: 'Hello',
      files: [],
      edit: false,
      properties: {},
      category: 'message',
      content_blocks: [],
      duration: null,
      session_metadata: null,
    });
  });

  it('is exactly what JSON.stringify makes of the parsed message', () => {
    const input = row({
      files: '["a.png","b.pdf"]',
      properties: '{"source":"web","nested":{"n":[1,2.5,null,true]}}',
      content_blocks: '[{"title":"x","contents":[]}]',
      duration: 2.5e-7,
      session_metadata: '{"__proto__":{"a":1},"n":[1,{"k":null}]}',
    });
    const json = serializeMessage(input);
    expect(json).toBe(JSON.stringify(JSON.parse(json)));
  });

  it('writes a null flow id as null', () => {
    expect(JSON.parse(serializeMessage(row({ flow_id: null }))).flow_id).toBeNull();
  });

  it.each([
    [true, true],
    [false, false],
    [1, true],
    [0, false],
  ])('reads the driver boolean %j as %j', (edit, expected) => {
    expect(JSON.parse(serializeMessage(row({ edit }))).edit).toBe(expected);
  });

  it('escapes whatever the text fields hold', () => {
    const awkward =
      'quote " backslash \\ newline \n tab \t nul \u0000 sep \u2028 emoji 🚀 </script>';
    const parsed = JSON.parse(
      serializeMessage(
        row({
          text: awkward,
          sender: 'a"b',
          sender_name: '\\',
          session_id: 'tenant/alpha chat+1',
          context_id: 'ctx "1"',
          category: '{"not":"json"}',
        }),
      ),
    );
    expect(parsed.text).toBe(awkward);
    expect(parsed.sender).toBe('a"b');
    expect(parsed.sender_name).toBe('\\');
    expect(parsed.session_id).toBe('tenant/alpha chat+1');
    expect(parsed.context_id).toBe('ctx "1"');
    expect(parsed.category).toBe('{"not":"json"}');
  });

  it('writes a duration as the number it is, whatever its size or sign', () => {
    for (const duration of [0, -1.5, 0.1, 12345678.901, 1e-300, 1.7976931348623157e308]) {
      expect(JSON.parse(serializeMessage(row({ duration }))).duration).toBe(duration);
    }
  });

  it('embeds the stored JSON columns as values, not as strings', () => {
    const parsed = JSON.parse(
      serializeMessage(
        row({
          files: '["f"]',
          properties: '{"k":"v"}',
          content_blocks: '[{"type":"text"}]',
          session_metadata: '{"channel":"web"}',
        }),
      ),
    );
    expect(parsed.session_metadata).toEqual({ channel: 'web' });
    expect(parsed.files).toEqual(['f']);
    expect(parsed.properties).toEqual({ k: 'v' });
    expect(parsed.content_blocks).toEqual([{ type: 'text' }]);
  });
});

describe('serializeMessages', () => {
  async function collect(source: AsyncIterable<string>): Promise<string[]> {
    const out: string[] = [];
    for await (const item of source) {
      out.push(item);
    }
    return out;
  }

  it('serializes the rows of a synchronous source in order', async () => {
    const rows = [row({ id: 'a' }), row({ id: 'b' }), row({ id: 'c' })];
    const ids = (await collect(serializeMessages(rows))).map(
      (json) => (JSON.parse(json) as { id: string }).id,
    );
    expect(ids).toEqual(['a', 'b', 'c']);
  });

  it('pulls rows from an async source one at a time, as the consumer asks', async () => {
    let produced = 0;
    async function* source() {
      for (let index = 0; index < 1000; index += 1) {
        produced += 1;
        await Promise.resolve();
        yield row({ id: String(index) });
      }
    }
    const iterator = serializeMessages(source())[Symbol.asyncIterator]();
    const first = await iterator.next();
    expect(JSON.parse(first.value as string).id).toBe('0');
    expect(produced).toBe(1);
    await iterator.return?.(undefined);
    expect(produced).toBe(1);
  });

  it('yields nothing for no rows', async () => {
    expect(await collect(serializeMessages([]))).toEqual([]);
  });
});
