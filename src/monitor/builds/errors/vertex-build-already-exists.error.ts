import { DomainError } from '../../../common/errors/domain.error';

export class VertexBuildAlreadyExistsError extends DomainError {
  readonly status = 409;

  constructor(buildId: string) {
    super(`Vertex build already exists: ${buildId}`);
  }
}
