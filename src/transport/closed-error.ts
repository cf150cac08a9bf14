import { ConnectionError, ErrorCode } from '../errors.js';

/**
 * What every call on a closed transport (publish, consume, bind, connect)
 * rejects with: one wording, whichever transport and whichever call.
 */
export function closedError(): ConnectionError {
  return new ConnectionError(ErrorCode.CLOSED, 'The transport is closed: connect a new bus with EventBus.connect()');
}
