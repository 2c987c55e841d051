import { Injectable, PipeTransform } from '@nestjs/common';
import {
  RequestValidationError,
  ValidationIssue,
} from '../../common/validation/request-validation.error';
import { ItemResult, validateInput, validateList } from '../../common/validation/validate-input';
import { CreateSpanDto } from './dto/create-span.dto';
import { CreateTraceDto } from './dto/create-trace.dto';
import { MAX_SPAN_DEPTH, MAX_SPANS_PER_REQUEST, MAX_TRACE_BATCH } from './trace-values';

type Loc = (string | number)[];

const issue = (loc: Loc, msg: string, input: unknown): ValidationIssue => ({
  type: 'value_error',
  loc,
  msg: `Value error, ${msg}`,
  input,
});

/**
 * Validates the body of POST /api/v1/monitor/traces: 1 to 1000 traces, each with its spans
 * (validated as DTOs too, located at ["body", i, "spans", j, ...]), then the shape they make
 * together: at most 5000 spans in all, span ids unique in the request, every parent one of the
 * same trace's spans, no cycle, nesting within MAX_SPAN_DEPTH, no end before its start.
 */
@Injectable()
export class TraceListBodyPipe implements PipeTransform<unknown, CreateTraceDto[]> {
  transform(value: unknown): CreateTraceDto[] {
    const total = Array.isArray(value)
      ? value.reduce(
          (sum: number, item: unknown) =>
            sum + (isObject(item) && Array.isArray(item.spans) ? item.spans.length : 0),
          0,
        )
      : 0;
    if (total > MAX_SPANS_PER_REQUEST) {
      throw new RequestValidationError([
        issue(
          ['body'],
          `at most ${MAX_SPANS_PER_REQUEST} spans in one request, not ${total}`,
          `[${total} spans]`,
        ),
      ]);
    }
    const result = validateList(value, { min: 1, max: MAX_TRACE_BATCH }, validateTrace);
    if (result.value === undefined) {
      throw new RequestValidationError(result.issues);
    }
    const issues = repeatedSpanIds(result.value);
    if (issues.length > 0) {
      throw new RequestValidationError(issues);
    }
    return result.value;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function validateTrace(item: unknown, loc: Loc): ItemResult<CreateTraceDto> {
  const trace = validateInput(CreateTraceDto, item, loc, true);
  if (trace.value === undefined) {
    return trace;
  }
  const issues: ValidationIssue[] = [];
  const spans: CreateSpanDto[] = [];
  (trace.value.spans ?? []).forEach((span: unknown, index) => {
    const result = validateInput(CreateSpanDto, span, [...loc, 'spans', index], true);
    if (result.value === undefined) {
      issues.push(...result.issues);
    } else {
      spans.push(result.value);
    }
  });
  if (issues.length === 0) {
    issues.push(...endsAfterStart(trace.value, loc));
    spans.forEach((span, index) => issues.push(...endsAfterStart(span, [...loc, 'spans', index])));
    issues.push(...treeIssues(spans, [...loc, 'spans']));
  }
  if (issues.length > 0) {
    return { value: undefined, issues };
  }
  trace.value.spans = spans;
  return trace;
}

function endsAfterStart(
  item: { start_time?: string; end_time?: string | null },
  loc: Loc,
): ValidationIssue[] {
  return item.start_time && item.end_time && item.end_time < item.start_time
    ? [issue([...loc, 'end_time'], 'must not be before start_time', item.end_time)]
    : [];
}

/** Each parent is a span of the trace, and following parents ends at a root within the bound. */
function treeIssues(spans: CreateSpanDto[], loc: Loc): ValidationIssue[] {
  const parentOf = new Map<string, string | null>();
  for (const span of spans) {
    if (span.id) {
      parentOf.set(span.id, span.parent_span_id ?? null);
    }
  }
  const issues: ValidationIssue[] = [];
  spans.forEach((span, index) => {
    const parent = span.parent_span_id ?? null;
    if (parent === null) {
      return;
    }
    const at = [...loc, index, 'parent_span_id'];
    if (!parentOf.has(parent)) {
      issues.push(issue(at, 'must be the id of another span of this trace', parent));
      return;
    }
    // A cycle never reaches a root, so it too ends at the bound.
    let depth = 1;
    for (let next: string | null = parent; next !== null; next = parentOf.get(next) ?? null) {
      depth += 1;
      if (depth > MAX_SPAN_DEPTH) {
        issues.push(
          issue(at, `spans may nest at most ${MAX_SPAN_DEPTH} deep, without cycles`, parent),
        );
        return;
      }
    }
  });
  return issues;
}

/** A span id given twice in the request (in one trace or two) is refused at its second place. */
function repeatedSpanIds(traces: CreateTraceDto[]): ValidationIssue[] {
  const seen = new Set<string>();
  const issues: ValidationIssue[] = [];
  traces.forEach((trace, traceIndex) =>
    (trace.spans ?? []).forEach((span, spanIndex) => {
      if (!span.id) {
        return;
      }
      if (seen.has(span.id)) {
        issues.push(
          issue(
            ['body', traceIndex, 'spans', spanIndex, 'id'],
            'the same span id appears twice in this request',
            span.id,
          ),
        );
      }
      seen.add(span.id);
    }),
  );
  return issues;
}
