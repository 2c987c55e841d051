import { Transform } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsDefined,
  IsIn,
  IsObject,
  IsString,
  IsInt,
  IsNumber,
  IsUUID,
  Max,
  Min,
  ValidateIf,
  ValidationOptions,
  registerDecorator,
} from 'class-validator';
import { hasControlCharacter, hasUnprintableCharacter } from './control-characters';

/*
 * Field decorators that carry pydantic's messages, so that 422 answers read like Langflow's.
 * The issue type is derived from the constraint's name in validate-input.ts.
 */

type Decorator = PropertyDecorator;

function all(...decorators: Decorator[]): Decorator {
  return (target, key) => decorators.forEach((decorator) => decorator(target, key));
}

/** Present and not null. */
export function Required(): Decorator {
  return IsDefined({ message: 'Field required' });
}

/** May be left out (undefined); null is still checked by the field's type. */
export function Optional(): Decorator {
  return ValidateIf((object: object, value: unknown) => value !== undefined);
}

/** May be left out or null; any other value is checked by the field's type. */
export function OptionalNullable(): Decorator {
  return ValidateIf((object: object, value: unknown) => value !== undefined && value !== null);
}

export function StringField(options: { min?: number; max?: number } = {}): Decorator {
  const decorators: Decorator[] = [
    IsString({ message: 'Input should be a valid string' }),
    // PostgreSQL text cannot hold U+0000; refusing it everywhere keeps both databases alike.
    NoNulCharacter({ message: 'Value error, must not contain the NUL character (U+0000)' }),
  ];
  if (options.min !== undefined) {
    decorators.push(
      CodePointLength('minLength', (length) => length >= options.min!, {
        message: `String should have at least ${options.min} character${options.min === 1 ? '' : 's'}`,
      }),
    );
  }
  if (options.max !== undefined) {
    decorators.push(
      CodePointLength('maxLength', (length) => length <= options.max!, {
        message: `String should have at most ${options.max} characters`,
      }),
    );
  }
  return all(...decorators);
}

/** Characters as PostgreSQL's varchar(n) and pydantic count them: code points. */
export function codePointLength(value: string): number {
  let length = 0;
  for (let index = 0; index < value.length; index += 1) {
    const code = value.charCodeAt(index);
    // A high surrogate followed by a low one is one code point.
    if (code >= 0xd800 && code <= 0xdbff && index + 1 < value.length) {
      const next = value.charCodeAt(index + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        index += 1;
      }
    }
    length += 1;
  }
  return length;
}

/**
 * A length check under class-validator's constraint name (so the 422 type is the same), counting
 * code points: validator.js skips variation selectors, which PostgreSQL counts.
 */
function CodePointLength(
  name: 'minLength' | 'maxLength',
  accept: (length: number) => boolean,
  validationOptions: ValidationOptions,
): Decorator {
  return (target, propertyName) =>
    registerDecorator({
      name,
      target: target.constructor,
      propertyName: propertyName as string,
      options: validationOptions,
      validator: {
        validate: (value: unknown) => typeof value !== 'string' || accept(codePointLength(value)),
      },
    });
}

function NoNulCharacter(validationOptions?: ValidationOptions): Decorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'noNulCharacter',
      target: target.constructor,
      propertyName: propertyName as string,
      options: validationOptions,
      validator: {
        validate: (value: unknown) => typeof value !== 'string' || !value.includes('\u0000'),
      },
    });
}

function NoControlCharacters(validationOptions?: ValidationOptions): Decorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'noControlCharacters',
      target: target.constructor,
      propertyName: propertyName as string,
      options: validationOptions,
      validator: {
        validate: (value: unknown) => typeof value !== 'string' || !hasControlCharacter(value),
      },
    });
}

/** A name meant to be printed (e.g. on an administrator's terminal): see hasUnprintableCharacter. */
export function PrintableStringField(options: { min: number; max: number }): Decorator {
  return all(StringField(options), (target, propertyName) =>
    registerDecorator({
      name: 'isPrintable',
      target: target.constructor,
      propertyName: propertyName as string,
      options: {
        message: 'Value error, must hold printable characters only (no control characters)',
      },
      validator: {
        validate: (value: unknown) => typeof value !== 'string' || !hasUnprintableCharacter(value),
      },
    }),
  );
}

/** A session id: 1 to 255 characters, no control characters. */
export function SessionIdField(): Decorator {
  return all(
    StringField({ min: 1, max: 255 }),
    NoControlCharacters({
      message: 'Value error, session ids must not contain control characters',
    }),
  );
}

/** A UUID in any letter case, kept lowercase. */
export function UuidField(): Decorator {
  return all(
    IsUUID('all', {
      message: 'Input should be a valid UUID, invalid length or characters',
    }),
    Transform(({ value }: { value: unknown }) =>
      typeof value === 'string' ? value.toLowerCase() : value,
    ),
  );
}

export function BooleanField(): Decorator {
  return IsBoolean({ message: 'Input should be a valid boolean' });
}

/**
 * A JSON number (pydantic's float: not a string, not a boolean). Finite: JSON cannot carry NaN,
 * but a number too large for a double (1e400) parses as Infinity, which no database stores as sent.
 */
export function FiniteNumberField(): Decorator {
  return all(
    IsNumber(
      { allowNaN: true, allowInfinity: true },
      { message: 'Input should be a valid number' },
    ),
    (target, propertyName) =>
      registerDecorator({
        name: 'isFinite',
        target: target.constructor,
        propertyName: propertyName as string,
        options: { message: 'Input should be a finite number' },
        validator: {
          validate: (value: unknown) => typeof value !== 'number' || Number.isFinite(value),
        },
      }),
  );
}

export function ObjectField(): Decorator {
  return IsObject({ message: 'Input should be a valid dictionary' });
}

/**
 * Marks a check made on each item of a list, so that its issue points at the offending item
 * (validate-input.ts); the same check on a whole value must not.
 */
export const EACH_ITEM = { eachItem: true } as const;

/** A list of strings. */
export function StringListField(): Decorator {
  return all(
    IsArray({ message: 'Input should be a valid list' }),
    IsString({ each: true, context: EACH_ITEM, message: 'Input should be a valid string' }),
  );
}

/** A list of JSON objects. */
export function ObjectListField(): Decorator {
  return all(
    IsArray({ message: 'Input should be a valid list' }),
    IsObject({ each: true, context: EACH_ITEM, message: 'Input should be a valid dictionary' }),
  );
}

export function OneOf(values: readonly string[]): Decorator {
  return all(
    IsString({ message: 'Input should be a valid string' }),
    IsIn(values as string[], {
      message: `Value error, must be one of: ${values.join(', ')}`,
    }),
  );
}

const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})?$/;

/** Turns an RFC 3339 date-time into the stored form (UTC, milliseconds); null if it is not one. */
export function normalizeTimestamp(value: string): string | null {
  const match = RFC3339.exec(value);
  if (!match) {
    return null;
  }
  const [, year, month, day, hour, minute, second, fraction = '', zone = 'Z'] = match;
  const millis = (fraction.slice(1) + '000').slice(0, 3);
  const iso = `${year}-${month}-${day}T${hour}:${minute}:${second}.${millis}${zone.toUpperCase()}`;
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) {
    return null;
  }
  // Date rolls 2026-02-30 over to March; a real calendar date must survive the round trip.
  const local = new Date(Date.UTC(+year, +month - 1, +day));
  if (local.getUTCMonth() !== +month - 1 || local.getUTCDate() !== +day) {
    return null;
  }
  const normalized = date.toISOString();
  return normalized.length === 24 ? normalized : null;
}

/** An RFC 3339 date-time, stored in UTC with milliseconds. */
export function TimestampField(): Decorator {
  return all(
    IsString({ message: 'Input should be a valid datetime' }),
    (target, propertyName) =>
      registerDecorator({
        name: 'isDateTime',
        target: target.constructor,
        propertyName: propertyName as string,
        options: { message: 'Input should be a valid datetime (RFC 3339)' },
        validator: {
          validate: (value: unknown) =>
            typeof value !== 'string' || normalizeTimestamp(value) !== null,
        },
      }),
    Transform(({ value }: { value: unknown }) =>
      typeof value === 'string' ? (normalizeTimestamp(value) ?? value) : value,
    ),
  );
}

/** An RFC 3339 date-time (see TimestampField) that is later than now. */
export function FutureTimestampField(): Decorator {
  return all(TimestampField(), (target, propertyName) =>
    registerDecorator({
      name: 'isFuture',
      target: target.constructor,
      propertyName: propertyName as string,
      options: { message: 'Value error, must be in the future' },
      validator: {
        validate: (value: unknown) => {
          const normalized = typeof value === 'string' ? normalizeTimestamp(value) : null;
          return normalized === null || Date.parse(normalized) > Date.now();
        },
      },
    }),
  );
}

export function ListSize(min: number, max: number): Decorator {
  return all(
    ArrayMinSize(min, {
      message: `List should have at least ${min} item${min === 1 ? '' : 's'} after validation`,
    }),
    ArrayMaxSize(max, { message: `List should have at most ${max} items after validation` }),
  );
}

/** An integer within bounds; a query string's digits are read as a number. */
export function IntField(options: { min: number; max: number }): Decorator {
  return all(
    Transform(({ value }: { value: unknown }) =>
      typeof value === 'string' && /^[+-]?\d{1,15}$/.test(value.trim()) ? Number(value) : value,
    ),
    IsInt({ message: 'Input should be a valid integer, unable to parse string as an integer' }),
    Min(options.min, {
      message: `Input should be greater than or equal to ${options.min}`,
    }),
    Max(options.max, { message: `Input should be less than or equal to ${options.max}` }),
  );
}
