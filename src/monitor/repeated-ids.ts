import { RequestValidationError } from '../common/validation/request-validation.error';

/** Refuses a batch that gives the same id twice (a 422 naming the second one). */
export function refuseRepeatedIds<T>(items: T[], field: keyof T & string): void {
  const seen = new Set<unknown>();
  items.forEach((item, index) => {
    const id = item[field];
    if (id === undefined || id === null) {
      return;
    }
    if (seen.has(id)) {
      throw new RequestValidationError([
        {
          type: 'value_error',
          loc: ['body', index, field],
          msg: `Value error, the same ${field} appears twice in this batch`,
          input: id,
        },
      ]);
    }
    seen.add(id);
  });
}
