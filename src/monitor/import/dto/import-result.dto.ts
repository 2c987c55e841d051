/** What an import did. */
export class ImportResultDto {
  /**
   * Messages stored by this request.
   * @example 1200
   */
  stored!: number;

  /**
   * Lines skipped because the message (its id) is already yours: rerunning an import skips all.
   * @example 0
   */
  skipped!: number;
}
