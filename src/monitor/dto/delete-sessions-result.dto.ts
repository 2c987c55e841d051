/** What a bulk session delete did. */
export class DeleteSessionsResultDto {
  /** @example "Deleted the messages of 2 sessions" */
  message!: string;

  /**
   * How many of the given sessions had messages of the caller's (and now have none).
   * @example 2
   */
  deleted_count!: number;

  static of(deletedCount: number): DeleteSessionsResultDto {
    return {
      message: `Deleted the messages of ${deletedCount} session${deletedCount === 1 ? '' : 's'}`,
      deleted_count: deletedCount,
    };
  }
}
