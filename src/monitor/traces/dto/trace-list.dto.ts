import { ApiProperty } from '@nestjs/swagger';
import { TraceSummaryDto } from './trace-summary.dto';

/** One page of the caller's traces, newest start first (Langflow's TraceListResponse). */
export class TraceListDto {
  @ApiProperty({ type: [TraceSummaryDto] })
  traces!: TraceSummaryDto[];

  /**
   * Every trace that matches the filters.
   * @example 120
   */
  @ApiProperty()
  total!: number;

  /**
   * ceil(total / size); 0 when there are none.
   * @example 3
   */
  @ApiProperty()
  pages!: number;
}
