import { ValidationIssue } from '../validation/request-validation.error';
import { BodyTooLargeError } from './body-too-large.error';
import { contentCodingOf, decodedBody } from './content-encoding';
import { IncompleteBodyError } from './incomplete-body.error';
import { exceedsJsonDepth } from './json-depth';
import { BODY_PARSE_ERROR, JsonBodyLimits, RequestWithParseError } from './json-body.middleware';

/**
 * Reads a JSON body whole, decompressing it as its Content-Encoding says, and sets
 * `request.body`; or remembers why it is not JSON (malformed, nested too deep, not valid in its
 * coding) as a 422 issue. Rejects with a 413 as soon as the body, decompressed, passes the limit:
 * the decompressor is stopped there, so a bomb costs no more than the limit. JSON.parse keeps
 * `__proto__` and `constructor` as plain own keys, as the contract wants them stored.
 */
export function readJsonBody(
  request: RequestWithParseError,
  limits: JsonBodyLimits,
): Promise<void> {
  // An empty body has nothing to decode, whatever coding it names.
  const source = Number(request.headers['content-length']) === 0 ? undefined : decodedBody(request);
  if (source === undefined) {
    takeJson(request, Buffer.alloc(0), limits.maxDepth);
    return Promise.resolve();
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    const settle = (outcome: () => void) => {
      source.off('data', onData);
      source.off('end', onEnd);
      source.off('error', onError);
      request.off('close', onClose);
      if (source !== request) {
        request.unpipe();
        source.destroy();
      }
      // Node throws away the rest of a body only when nothing has read from it; this did, so
      // what is left of a body that has all come is thrown away here (a paused request can hold
      // up its connection's reading). The rest of one still coming is the early answer's to
      // read (bootstrap/early-answers.ts).
      if (request.complete) {
        request.resume();
      } else {
        request.pause();
      }
      outcome();
    };
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (received > limits.limitBytes) {
        settle(() => reject(new BodyTooLargeError(limits.limitBytes)));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () =>
      settle(() => {
        takeJson(request, Buffer.concat(chunks, received), limits.maxDepth);
        resolve();
      });
    // Only a decompressor fails this way: the body is not valid in its coding, so not JSON either.
    const onError = () =>
      settle(() => {
        request.body = undefined;
        request[BODY_PARSE_ERROR] = jsonInvalid(
          `JSON decode error: the body is not valid ${contentCodingOf(request)} data`,
        );
        resolve();
      });
    // The request closes after its end, while a decompressor may still be flushing: only a close
    // before the whole body came means the client went away.
    const onClose = () => {
      if (!request.complete) {
        settle(() => reject(new IncompleteBodyError()));
      }
    };
    source.on('data', onData);
    source.on('end', onEnd);
    source.on('error', onError);
    request.on('close', onClose);
  });
}

function takeJson(request: RequestWithParseError, bytes: Buffer, maxDepth: number): void {
  request.body = undefined;
  if (bytes.length === 0) {
    // An empty JSON body reads as an empty object, as Express's parser has always read it.
    request.body = {};
    return;
  }
  if (exceedsJsonDepth(bytes, maxDepth)) {
    request[BODY_PARSE_ERROR] = {
      type: 'value_error',
      loc: ['body'],
      msg: `Value error, JSON nested deeper than ${maxDepth} levels`,
      input: null,
    };
    return;
  }
  try {
    request.body = JSON.parse(bytes.toString('utf8')) as unknown;
  } catch {
    request[BODY_PARSE_ERROR] = jsonInvalid('JSON decode error');
  }
}

function jsonInvalid(msg: string): ValidationIssue {
  return { type: 'json_invalid', loc: ['body'], msg, input: null };
}
