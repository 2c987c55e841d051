import {
  BooleanField,
  IntField,
  ObjectField,
  ObjectListField,
  OneOf,
  Optional,
  Required,
  SessionIdField,
  StringField,
  StringListField,
  TimestampField,
  UuidField,
} from './fields';
import { validateInput, validateInputList } from './validate-input';

/** Every kind of field the service's DTOs use. */
class SampleDto {
  @Required()
  @SessionIdField()
  session_id!: string;

  @Optional()
  @StringField({ min: 1, max: 3 })
  short?: string;

  @Optional()
  @UuidField()
  id?: string;

  @Optional()
  @TimestampField()
  timestamp?: string;

  @Optional()
  @StringListField()
  files?: string[];

  @Optional()
  @ObjectListField()
  content_blocks?: Record<string, unknown>[];

  @Optional()
  @ObjectField()
  properties?: Record<string, unknown>;

  @Optional()
  @BooleanField()
  edit?: boolean;

  @Optional()
  @OneOf(['timestamp', 'id'])
  order_by?: string;

  @Optional()
  @IntField({ min: 1, max: 100 })
  limit?: number;
}

const LOC = ['body', 0];

function issuesOf(value: unknown, forbidUnknown = true) {
  return validateInput(SampleDto, value, LOC, forbidUnknown).issues;
}

describe('validateInput', () => {
  it('returns a typed instance and no issues for a valid object', () => {
    const result = validateInput(SampleDto, { session_id: 'chat 🚀', edit: true }, LOC, true);
    expect(result.issues).toEqual([]);
    expect(result.value).toBeInstanceOf(SampleDto);
    expect(result.value).toEqual(expect.objectContaining({ session_id: 'chat 🚀', edit: true }));
  });

  it.each([
    ['absent', {}],
    ['null', { session_id: null }],
  ])('reports a required field that is %s as "missing" with a null input', (_label, value) => {
    expect(issuesOf(value)).toEqual([
      { type: 'missing', loc: ['body', 0, 'session_id'], msg: 'Field required', input: null },
    ]);
  });

  it.each([
    [
      { session_id: '' },
      'session_id',
      'string_too_short',
      'String should have at least 1 character',
    ],
    [
      { session_id: 'x'.repeat(256) },
      'session_id',
      'string_too_long',
      'String should have at most 255 characters',
    ],
    [{ session_id: 7 }, 'session_id', 'string_type', 'Input should be a valid string'],
    [{ session_id: ['a', 'b'] }, 'session_id', 'string_type', 'Input should be a valid string'],
    [
      { session_id: 'a\nb' },
      'session_id',
      'value_error',
      'Value error, session ids must not contain control characters',
    ],
    [{ session_id: 'a\u0000b' }, 'session_id', 'value_error', expect.stringContaining('NUL')],
    [
      { session_id: 's', short: 'abcd' },
      'short',
      'string_too_long',
      'String should have at most 3 characters',
    ],
    [{ session_id: 's', id: 'not-a-uuid' }, 'id', 'uuid_parsing', expect.any(String)],
    [
      { session_id: 's', timestamp: 'yesterday' },
      'timestamp',
      'datetime_parsing',
      expect.any(String),
    ],
    [{ session_id: 's', timestamp: 1700000000 }, 'timestamp', 'string_type', expect.any(String)],
    [{ session_id: 's', files: 'a.txt' }, 'files', 'list_type', 'Input should be a valid list'],
    [
      { session_id: 's', properties: [] },
      'properties',
      'dict_type',
      'Input should be a valid dictionary',
    ],
    [
      { session_id: 's', properties: 'x' },
      'properties',
      'dict_type',
      'Input should be a valid dictionary',
    ],
    [{ session_id: 's', edit: 'true' }, 'edit', 'bool_type', 'Input should be a valid boolean'],
    [{ session_id: 's', edit: 1 }, 'edit', 'bool_type', 'Input should be a valid boolean'],
    [
      { session_id: 's', order_by: 'password' },
      'order_by',
      'value_error',
      'Value error, must be one of: timestamp, id',
    ],
    [{ session_id: 's', limit: 'ten' }, 'limit', 'int_parsing', expect.any(String)],
    [
      { session_id: 's', limit: '0' },
      'limit',
      'greater_than_equal',
      'Input should be greater than or equal to 1',
    ],
    [
      { session_id: 's', limit: 101 },
      'limit',
      'less_than_equal',
      'Input should be less than or equal to 100',
    ],
  ])("maps %j to pydantic's issue on %s: %s", (value, field, type, msg) => {
    const issues = issuesOf(value);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toEqual({ type, loc: ['body', 0, field], msg, input: expect.anything() });
  });

  it('gives the offending value as the input', () => {
    expect(issuesOf({ session_id: 'a\tb' })[0].input).toBe('a\tb');
    expect(issuesOf({ session_id: ['a', 'b'] })[0].input).toEqual(['a', 'b']);
  });

  it('points at the first wrong item of a list and gives it as the input', () => {
    expect(issuesOf({ session_id: 's', files: ['a', 'b', 3, 4] })).toEqual([
      {
        type: 'string_type',
        loc: ['body', 0, 'files', 2],
        msg: 'Input should be a valid string',
        input: 3,
      },
    ]);
    expect(issuesOf({ session_id: 's', content_blocks: [{}, ['x']] })).toEqual([
      {
        type: 'dict_type',
        loc: ['body', 0, 'content_blocks', 1],
        msg: 'Input should be a valid dictionary',
        input: ['x'],
      },
    ]);
  });

  it('reports one issue per wrong field', () => {
    const issues = issuesOf({ session_id: '', edit: 'no', files: 'f' });
    expect(issues.map((issue) => [issue.loc.at(-1), issue.type]).sort()).toEqual([
      ['edit', 'bool_type'],
      ['files', 'list_type'],
      ['session_id', 'string_too_short'],
    ]);
  });

  it('refuses unknown fields when asked to, as "extra_forbidden"', () => {
    expect(issuesOf({ session_id: 's', colour: 'blue' })).toEqual([
      {
        type: 'extra_forbidden',
        loc: ['body', 0, 'colour'],
        msg: 'Extra inputs are not permitted',
        input: 'blue',
      },
    ]);
  });

  it('ignores unknown fields otherwise (query strings)', () => {
    expect(issuesOf({ session_id: 's', utm_source: 'mail' }, false)).toEqual([]);
  });

  it('refuses a value that is not an object', () => {
    expect(issuesOf('text')).toEqual([
      { type: 'dict_type', loc: LOC, msg: 'Input should be a valid dictionary', input: 'text' },
    ]);
    expect(issuesOf([{ session_id: 's' }])[0].type).toBe('dict_type');
    expect(issuesOf(null)).toEqual([
      { type: 'missing', loc: LOC, msg: 'Field required', input: null },
    ]);
  });

  it('normalizes what it accepts: lowercase UUIDs, UTC timestamps, integers from digits', () => {
    const result = validateInput(
      SampleDto,
      {
        session_id: 's',
        id: 'ABCDEF00-0000-4000-8000-00000000000A',
        timestamp: '2026-11-24T15:09:00.5+02:00',
        limit: ' 42 ',
      },
      ['query'],
      false,
    );
    expect(result.issues).toEqual([]);
    expect(result.value).toMatchObject({
      id: 'abcdef00-0000-4000-8000-00000000000a',
      timestamp: '2026-11-24T13:09:00.500Z',
      limit: 42,
    });
  });

  it('does not read strict types loosely: no "true" for true, no 5 for "5"', () => {
    expect(issuesOf({ session_id: 5 })[0].type).toBe('string_type');
    expect(issuesOf({ session_id: 's', edit: 'false' })[0].type).toBe('bool_type');
  });
});

describe('validateInputList', () => {
  const limits = { min: 1, max: 3 };

  it('returns every item when all are valid', () => {
    const result = validateInputList(SampleDto, [{ session_id: 'a' }, { session_id: 'b' }], limits);
    expect(result.issues).toEqual([]);
    expect(result.value?.map((item) => item.session_id)).toEqual(['a', 'b']);
    expect(result.value?.[0]).toBeInstanceOf(SampleDto);
  });

  it('refuses a missing body', () => {
    expect(validateInputList(SampleDto, undefined, limits).issues).toEqual([
      { type: 'missing', loc: ['body'], msg: 'Field required', input: null },
    ]);
  });

  it('refuses a body that is not a list', () => {
    expect(validateInputList(SampleDto, { session_id: 'a' }, limits).issues).toEqual([
      {
        type: 'list_type',
        loc: ['body'],
        msg: 'Input should be a valid list',
        input: { session_id: 'a' },
      },
    ]);
  });

  it("refuses too few and too many items with pydantic's words", () => {
    expect(validateInputList(SampleDto, [], limits).issues).toEqual([
      {
        type: 'too_short',
        loc: ['body'],
        msg: 'List should have at least 1 item after validation, not 0',
        input: [],
      },
    ]);
    const four = Array.from({ length: 4 }, () => ({ session_id: 's' }));
    const [issue] = validateInputList(SampleDto, four, limits).issues;
    expect(issue).toMatchObject({
      type: 'too_long',
      loc: ['body'],
      msg: 'List should have at most 3 items after validation, not 4',
    });
  });

  it('accepts nothing when one item is wrong, and locates the issue by index', () => {
    const result = validateInputList(
      SampleDto,
      [{ session_id: 'a' }, { session_id: 'b' }, { session_id: '' }],
      limits,
    );
    expect(result.value).toBeUndefined();
    expect(result.issues).toEqual([
      expect.objectContaining({ type: 'string_too_short', loc: ['body', 2, 'session_id'] }),
    ]);
  });

  it('reports issues of several items together', () => {
    const result = validateInputList(SampleDto, [{}, { session_id: 'ok' }, 'x'], limits);
    expect(result.issues).toEqual([
      expect.objectContaining({ type: 'missing', loc: ['body', 0, 'session_id'] }),
      expect.objectContaining({ type: 'dict_type', loc: ['body', 2] }),
    ]);
  });
});
