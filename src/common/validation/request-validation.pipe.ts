import { ArgumentMetadata, Injectable, PipeTransform } from '@nestjs/common';
import { ClassConstructor } from 'class-transformer';
import { RequestValidationError } from './request-validation.error';
import { InputLocation, validateInput } from './validate-input';

const LOCATIONS: Partial<Record<ArgumentMetadata['type'], InputLocation>> = {
  param: 'path',
  query: 'query',
  body: 'body',
};

const PRIMITIVES = new Set<unknown>([String, Number, Boolean, Array, Object]);

/** Validates every DTO-typed handler argument (path, query, body); the 422 shape is made here. */
@Injectable()
export class RequestValidationPipe implements PipeTransform {
  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    const location = LOCATIONS[metadata.type];
    const dto = metadata.metatype;
    if (!location || !dto || PRIMITIVES.has(dto) || metadata.data) {
      return value;
    }
    const result = validateInput(
      dto as ClassConstructor<object>,
      value,
      location === 'body' ? ['body'] : [location],
      location === 'body',
    );
    if (result.issues.length > 0) {
      throw new RequestValidationError(result.issues);
    }
    return result.value;
  }
}
