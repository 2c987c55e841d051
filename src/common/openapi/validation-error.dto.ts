import { ApiProperty } from '@nestjs/swagger';

export class ValidationIssueDto {
  /** @example "missing" */
  type!: string;

  @ApiProperty({
    description: 'Where the value came from ("path", "query" or "body"), then the field and index.',
    type: 'array',
    items: { oneOf: [{ type: 'string' }, { type: 'integer' }] },
    example: ['query', 'new_session_id'],
  })
  loc!: (string | number)[];

  /** @example "Field required" */
  msg!: string;

  @ApiProperty({ description: 'The value that was refused.', nullable: true, example: null })
  input!: unknown;
}

/** A request that failed validation (FastAPI's shape). */
export class ValidationErrorDto {
  detail!: ValidationIssueDto[];
}
