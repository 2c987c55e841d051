/** Every error but validation: one sentence. */
export class ErrorDto {
  /** @example "No messages found with the given session ID" */
  detail!: string;
}
