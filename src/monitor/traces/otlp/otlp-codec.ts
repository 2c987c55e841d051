import { OtlpUndecodableError } from '../errors/otlp-undecodable.error';
import { OtlpDecodeError, ReadSpans, readExportRequest } from './otlp-request';
import {
  ExportTraceServiceRequestType,
  ExportTraceServiceResponseType,
  RpcStatusType,
} from './otlp-schema';

/** The two encodings of OTLP/HTTP; an answer goes out in the request's. */
export type OtlpEncoding = 'protobuf' | 'json';

export const PROTOBUF_TYPES = ['application/x-protobuf', 'application/protobuf'];

/** Reads a protobuf ExportTraceServiceRequest; OtlpUndecodableError when it is not one. */
export function decodeProtobufRequest(bytes: Buffer): ReadSpans {
  let message: Record<string, unknown>;
  try {
    message = ExportTraceServiceRequestType.toObject(ExportTraceServiceRequestType.decode(bytes), {
      longs: String,
      defaults: false,
    });
  } catch {
    // Truncated or malformed input, or nesting deep enough to exhaust the stack (a RangeError too).
    throw new OtlpUndecodableError('it is not valid protobuf');
  }
  return read(message, 'bytes');
}

/** Reads an OTLP/JSON ExportTraceServiceRequest (already parsed). */
export function decodeJsonRequest(body: unknown): ReadSpans {
  return read(body, 'hex');
}

function read(body: unknown, ids: 'bytes' | 'hex'): ReadSpans {
  try {
    return readExportRequest(body, ids);
  } catch (error) {
    if (error instanceof OtlpDecodeError) {
      throw new OtlpUndecodableError(error.message);
    }
    throw error;
  }
}

/** ExportTraceServiceResponse: partial_success only when a span was refused, as OTLP wants. */
export function encodeExportResponse(
  encoding: OtlpEncoding,
  rejectedSpans: number,
  errorMessage: string,
): Buffer | string {
  const partialSuccess = rejectedSpans > 0 ? { rejectedSpans, errorMessage } : undefined;
  if (encoding === 'json') {
    // OTLP/JSON writes 64-bit integers as decimal text.
    return JSON.stringify(
      partialSuccess
        ? { partialSuccess: { rejectedSpans: String(rejectedSpans), errorMessage } }
        : {},
    );
  }
  const message = ExportTraceServiceResponseType.fromObject(
    partialSuccess ? { partialSuccess } : {},
  );
  return Buffer.from(ExportTraceServiceResponseType.encode(message).finish());
}

/**
 * google.rpc.Status, the body of OTLP/HTTP's error answers. In JSON it also carries the
 * service's usual `detail`, so that clients of the rest of the API read it alike.
 */
export function encodeErrorStatus(
  encoding: OtlpEncoding,
  code: number,
  message: string,
): Buffer | string {
  if (encoding === 'json') {
    return JSON.stringify({ code, message, detail: message });
  }
  return Buffer.from(RpcStatusType.encode(RpcStatusType.fromObject({ code, message })).finish());
}
