import { ApiProperty } from '@nestjs/swagger';
import { VertexBuildResponseDto } from './vertex-build-response.dto';

/** The newest build of each vertex of a flow, keyed by vertex id. */
export class VertexBuildMapDto {
  /**
   * Vertex id to its newest builds (more than one only when they share the newest timestamp),
   * vertices ordered by that timestamp ascending.
   */
  @ApiProperty({
    type: 'object',
    additionalProperties: {
      type: 'array',
      items: { $ref: '#/components/schemas/VertexBuildResponseDto' },
    },
    example: {
      'ChatInput-NCmix': [
        {
          build_id: '0193a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2b',
          id: 'ChatInput-NCmix',
          flow_id: '9a1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d',
          job_id: null,
          timestamp: '2026-11-24T13:09:00.123Z',
          data: { results: { message: 'Hello' } },
          artifacts: { message: 'Hello' },
          params: null,
          valid: true,
        },
      ],
    },
  })
  vertex_builds!: Record<string, VertexBuildResponseDto[]>;
}
