import { Optional, StringField } from '../../common/validation/fields';

export class CreateApiKeyDto {
  /**
   * A name to recognise the key by.
   * @example "ci-pipeline"
   */
  @Optional()
  @StringField({ min: 1, max: 255 })
  name?: string;
}
