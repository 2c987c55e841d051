import { leafTokens, SpanIo, traceIo } from './trace.mapper';

const span = (fields: Partial<SpanIo> & { id: string }): SpanIo => ({
  name: 'Component',
  parentSpanId: null,
  startTime: '2026-11-24T13:00:00.000Z',
  endTime: '2026-11-24T13:00:01.000Z',
  inputs: null,
  outputs: null,
  ...fields,
});

describe('traceIo', () => {
  it('takes the input of the first "Chat Input" span by start, whatever the list order', () => {
    const io = traceIo([
      span({
        id: 'b',
        name: 'Chat Input 2',
        startTime: '2026-11-24T13:00:02.000Z',
        inputs: '{"input_value":"second"}',
      }),
      span({
        id: 'a',
        name: 'Chat Input (ChatInput-x)',
        inputs: '{"input_value":{"text":"first"}}',
      }),
      span({
        id: 'c',
        name: 'chat input',
        startTime: '2026-11-24T12:00:00.000Z',
        inputs: '{"input_value":"lower case"}',
      }),
    ]);
    expect(io.input).toBe('{"input_value":{"text":"first"}}');
  });

  it.each(['{"input_value":""}', '{"input_value":0}', '{"input_value":[]}', '{"other":1}', null])(
    'has no input when the value is empty (%s), as in Python',
    (inputs) => {
      expect(traceIo([span({ id: 'a', name: 'Chat Input', inputs })]).input).toBeNull();
    },
  );

  it('takes the outputs of the root span that ended last, skipping children and unfinished roots', () => {
    const io = traceIo([
      span({ id: 'a', endTime: '2026-11-24T13:00:05.000Z', outputs: '{"answer":"last"}' }),
      span({
        id: 'b',
        startTime: '2026-11-24T13:00:03.000Z',
        endTime: '2026-11-24T13:00:04.000Z',
        outputs: '{"answer":"later start"}',
      }),
      span({
        id: 'c',
        parentSpanId: 'a',
        endTime: '2026-11-24T13:00:09.000Z',
        outputs: '{"answer":"child"}',
      }),
      span({ id: 'd', endTime: null, outputs: '{"answer":"running"}' }),
    ]);
    expect(io.output).toBe('{"answer":"last"}');
  });

  it('has no output when the last root has empty outputs', () => {
    expect(traceIo([span({ id: 'a', outputs: '{}' })]).output).toBeNull();
    expect(traceIo([]).output).toBeNull();
  });
});

describe('leafTokens', () => {
  it('sums the spans no span names as parent', () => {
    expect(
      leafTokens([
        { id: 'root', parentSpanId: null, totalTokens: 100 },
        { id: 'call', parentSpanId: 'root', totalTokens: 30 },
        { id: 'tool', parentSpanId: 'call', totalTokens: 5 },
        { id: 'other', parentSpanId: 'root', totalTokens: 15 },
        { id: 'none', parentSpanId: 'root', totalTokens: null },
      ]),
    ).toBe(20);
  });
});
