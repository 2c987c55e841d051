import { Injectable, PipeTransform } from '@nestjs/common';
import { ClassConstructor } from 'class-transformer';
import { RequestValidationError } from './request-validation.error';
import { validateInputList } from './validate-input';

/** Validates a JSON array body whose items are DTOs (TypeScript erases the item type). */
@Injectable()
export class ListBodyPipe<T extends object> implements PipeTransform<unknown, T[]> {
  constructor(
    private readonly dto: ClassConstructor<T>,
    private readonly limits: { min: number; max: number },
  ) {}

  transform(value: unknown): T[] {
    const result = validateInputList(this.dto, value, this.limits);
    if (result.issues.length > 0) {
      throw new RequestValidationError(result.issues);
    }
    return result.value as T[];
  }
}
