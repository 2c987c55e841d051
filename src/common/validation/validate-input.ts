import { ClassConstructor, plainToInstance } from 'class-transformer';
import { ValidationError, validateSync } from 'class-validator';
import { EACH_ITEM } from './fields';
import { ValidationIssue } from './request-validation.error';

// class-transformer's own registry of @Type() declarations; its package has no typed entry for it.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { defaultMetadataStorage } = require('class-transformer/cjs/storage') as {
  defaultMetadataStorage: { findTypeMetadata(target: object, property: string): unknown };
};

/**
 * Keys that class-transformer and class-validator read as the object's machinery rather than its
 * data (`constructor` breaks both, `__proto__` is silently dropped). At the top of a DTO they are
 * refused as unknown fields; inside free-form values they are data, kept as given.
 */
const RESERVED_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

export type InputLocation = 'path' | 'query' | 'body';
type Loc = (string | number)[];

/** class-validator constraint names, in the order in which one wins over another for a field. */
const ISSUE_TYPES: [constraint: string, type: string][] = [
  ['isDefined', 'missing'],
  ['whitelistValidation', 'extra_forbidden'],
  ['isUuid', 'uuid_parsing'],
  ['isArray', 'list_type'],
  ['isString', 'string_type'],
  ['isBoolean', 'bool_type'],
  ['isObject', 'dict_type'],
  ['isInt', 'int_parsing'],
  ['isNumber', 'float_type'],
  ['isFinite', 'finite_number'],
  ['min', 'greater_than_equal'],
  ['max', 'less_than_equal'],
  ['minLength', 'string_too_short'],
  ['maxLength', 'string_too_long'],
  ['arrayMinSize', 'too_short'],
  ['arrayMaxSize', 'too_long'],
  ['isDateTime', 'datetime_parsing'],
];

/** For checks made on each item of a list, the test that finds the first offending item. */
const ITEM_CHECKS: Record<string, (item: unknown) => boolean> = {
  isString: (item) => typeof item === 'string',
  isObject: (item) => typeof item === 'object' && item !== null && !Array.isArray(item),
};

function issueFor(error: ValidationError, loc: Loc): ValidationIssue {
  const constraints = error.constraints ?? {};
  const names = Object.keys(constraints);
  const ranked = ISSUE_TYPES.find(([constraint]) => names.includes(constraint));
  const constraint = ranked?.[0] ?? names[0];
  const type = ranked?.[1] ?? 'value_error';
  const fieldLoc = [...loc, error.property];

  if (type === 'missing') {
    return { type, loc: fieldLoc, msg: 'Field required', input: null };
  }
  if (type === 'extra_forbidden') {
    return { type, loc: fieldLoc, msg: 'Extra inputs are not permitted', input: error.value };
  }
  const perItem = (error.contexts?.[constraint] as typeof EACH_ITEM | undefined)?.eachItem;
  const itemCheck = perItem ? ITEM_CHECKS[constraint] : undefined;
  if (itemCheck && Array.isArray(error.value)) {
    const index = error.value.findIndex((item) => !itemCheck(item));
    if (index >= 0) {
      return {
        type,
        loc: [...fieldLoc, index],
        msg: constraints[constraint],
        input: error.value[index] as unknown,
      };
    }
  }
  return { type, loc: fieldLoc, msg: constraints[constraint], input: error.value };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Validates one object against a DTO class and returns the typed instance, or the issues found
 * (one per field, the most telling first). Unknown fields are refused in bodies and ignored
 * elsewhere, as FastAPI does.
 */
export function validateInput<T extends object>(
  dto: ClassConstructor<T>,
  value: unknown,
  loc: Loc,
  forbidUnknown: boolean,
): { value: T; issues: [] } | { value: undefined; issues: ValidationIssue[] } {
  if (!isPlainObject(value)) {
    return {
      value: undefined,
      issues: [
        value === undefined || value === null
          ? { type: 'missing', loc, msg: 'Field required', input: null }
          : { type: 'dict_type', loc, msg: 'Input should be a valid dictionary', input: value },
      ],
    };
  }
  const { instance, reserved } = toInstance(dto, value);
  const refused: ValidationIssue[] = forbidUnknown
    ? reserved.map((key) => ({
        type: 'extra_forbidden',
        loc: [...loc, key],
        msg: 'Extra inputs are not permitted',
        input: value[key],
      }))
    : [];
  const errors = validateSync(instance, {
    whitelist: forbidUnknown,
    forbidNonWhitelisted: forbidUnknown,
    forbidUnknownValues: false,
    validationError: { target: false, value: true },
  });
  if (errors.length === 0 && refused.length === 0) {
    return { value: instance, issues: [] };
  }
  return { value: undefined, issues: [...refused, ...errors.map((error) => issueFor(error, loc))] };
}

/**
 * The DTO instance for a plain object. Only scalar fields (and fields declaring a nested type with
 * @Type) go through class-transformer, for their @Transform()s; object and list values are set
 * on the instance as they are: class-transformer would rebuild them key by key, failing on a
 * `constructor` key, dropping `__proto__` and overflowing the stack on deep nesting. Reserved
 * keys are left out and reported.
 */
function toInstance<T extends object>(
  dto: ClassConstructor<T>,
  value: Record<string, unknown>,
): { instance: T; reserved: string[] } {
  const scalars: Record<string, unknown> = {};
  const kept: [string, unknown][] = [];
  const reserved: string[] = [];
  for (const key of Object.keys(value)) {
    const field = value[key];
    if (RESERVED_KEYS.has(key)) {
      reserved.push(key);
    } else if (
      typeof field === 'object' &&
      field !== null &&
      !defaultMetadataStorage.findTypeMetadata(dto, key)
    ) {
      kept.push([key, field]);
    } else {
      scalars[key] = field;
    }
  }
  const instance = plainToInstance(dto, scalars, { enableImplicitConversion: false });
  for (const [key, field] of kept) {
    Object.defineProperty(instance, key, {
      value: field,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return { instance, reserved };
}

/** Validates a JSON array body of DTOs; issues are located by item index. */
export function validateInputList<T extends object>(
  dto: ClassConstructor<T>,
  value: unknown,
  limits: { min: number; max: number },
): { value: T[]; issues: [] } | { value: undefined; issues: ValidationIssue[] } {
  return validateList(value, limits, (item, loc) => validateInput(dto, item, loc, true));
}

/** One item of a list body: its value, or why it was refused. */
export type ItemResult<T> =
  { value: T; issues: [] } | { value: undefined; issues: ValidationIssue[] };

/**
 * Validates a JSON array body: present, a list, within `limits`, then every item with
 * `validateItem` (issues located by item index). Nothing is accepted unless every item is.
 */
export function validateList<T>(
  value: unknown,
  limits: { min: number; max: number },
  validateItem: (item: unknown, loc: Loc) => ItemResult<T>,
): { value: T[]; issues: [] } | { value: undefined; issues: ValidationIssue[] } {
  if (value === undefined || value === null) {
    return {
      value: undefined,
      issues: [{ type: 'missing', loc: ['body'], msg: 'Field required', input: null }],
    };
  }
  if (!Array.isArray(value)) {
    return {
      value: undefined,
      issues: [
        { type: 'list_type', loc: ['body'], msg: 'Input should be a valid list', input: value },
      ],
    };
  }
  if (value.length < limits.min) {
    const msg = `List should have at least ${limits.min} item${limits.min === 1 ? '' : 's'} after validation, not ${value.length}`;
    return { value: undefined, issues: [{ type: 'too_short', loc: ['body'], msg, input: value }] };
  }
  if (value.length > limits.max) {
    const msg = `List should have at most ${limits.max} items after validation, not ${value.length}`;
    return {
      value: undefined,
      issues: [{ type: 'too_long', loc: ['body'], msg, input: `[${value.length} items]` }],
    };
  }
  const items: T[] = [];
  const issues: ValidationIssue[] = [];
  value.forEach((item: unknown, index) => {
    const result = validateItem(item, ['body', index]);
    if (result.issues.length === 0) {
      items.push(result.value as T);
    } else {
      issues.push(...result.issues);
    }
  });
  return issues.length > 0 ? { value: undefined, issues } : { value: items, issues: [] };
}
