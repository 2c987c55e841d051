import { Injectable, PipeTransform } from '@nestjs/common';
import { isUUID } from 'class-validator';
import { hasControlCharacter } from './control-characters';
import { codePointLength } from './fields';
import { RequestValidationError } from './request-validation.error';
import { ItemResult, validateList } from './validate-input';

type Loc = (string | number)[];
type ItemValidator = (item: unknown, loc: Loc) => ItemResult<string>;

function refuse(type: string, loc: Loc, msg: string, input: unknown): ItemResult<string> {
  return { value: undefined, issues: [{ type, loc, msg, input }] };
}

/** A UUID in any letter case, kept lowercase. */
export const uuidItem: ItemValidator = (item, loc) => {
  if (typeof item !== 'string') {
    return refuse('string_type', loc, 'Input should be a valid string', item);
  }
  if (!isUUID(item, 'all')) {
    return refuse(
      'uuid_parsing',
      loc,
      'Input should be a valid UUID, invalid length or characters',
      item,
    );
  }
  return { value: item.toLowerCase(), issues: [] };
};

/** A session id: 1 to 255 characters, no control characters. */
export const sessionIdItem: ItemValidator = (item, loc) => {
  if (typeof item !== 'string') {
    return refuse('string_type', loc, 'Input should be a valid string', item);
  }
  if (item.length === 0) {
    return refuse('string_too_short', loc, 'String should have at least 1 character', item);
  }
  if (codePointLength(item) > 255) {
    return refuse('string_too_long', loc, 'String should have at most 255 characters', item);
  }
  if (hasControlCharacter(item)) {
    return refuse(
      'value_error',
      loc,
      'Value error, session ids must not contain control characters',
      item,
    );
  }
  return { value: item, issues: [] };
};

/**
 * Validates a JSON array body of plain values (ids), all or nothing. `overLimit`, when given, is
 * thrown instead of the 422 for a list longer than `limits.max` (some routes answer that with 400).
 */
@Injectable()
export class ValueListBodyPipe implements PipeTransform<unknown, string[]> {
  constructor(
    private readonly item: ItemValidator,
    private readonly limits: { min: number; max: number },
    private readonly overLimit?: () => Error,
  ) {}

  transform(value: unknown): string[] {
    if (this.overLimit && Array.isArray(value) && value.length > this.limits.max) {
      throw this.overLimit();
    }
    const result = validateList(value, this.limits, this.item);
    if (result.issues.length > 0) {
      throw new RequestValidationError(result.issues);
    }
    return result.value as string[];
  }
}
