/**
 * Installs a human message as an Update (the caller hears a refusal) and a Signal of the
 * same name (the Web UI and `temporal workflow signal` send signals; a refused one is
 * recorded in the status and ignored). Both share one validator.
 */
import { log, setHandler } from '@temporalio/workflow';
import type { SignalDefinition, UpdateDefinition } from '@temporalio/common';
import type { DecisionAck, RequestTag } from './messages.js';
import type { RunStatus } from './status.js';

export interface MessageHandler<A extends { by: string }> {
  kind: string;
  update: UpdateDefinition<DecisionAck, [A]>;
  signal: SignalDefinition<[A]>;
  refusal: (args: A) => string | undefined;
  apply: (args: A) => string;
}

export function acceptMessage<A extends { by: string }>(status: RunStatus, handler: MessageHandler<A>): void {
  const check = (args: A): string | undefined => {
    if (typeof args !== 'object' || args === null) return `${handler.kind} expects an object such as {"by": "alice"}`;
    return handler.refusal(args);
  };
  const applyAndAck = (args: A): DecisionAck => {
    const message = handler.apply(args);
    return { accepted: true, phase: status.phase, message, ...requestTagOf(args) };
  };
  setHandler(handler.update, applyAndAck, {
    validator: (args: A) => {
      const reason = check(args);
      if (reason) throw new Error(reason);
    },
  });
  setHandler(handler.signal, (args: A) => {
    const reason = check(args);
    if (reason) {
      const by = typeof args === 'object' && args !== null && typeof args.by === 'string' ? args.by : 'unknown';
      status.invalidMessages.push({ at: new Date().toISOString(), kind: handler.kind, by, reason });
      log.warn('ignored an invalid signal', { kind: handler.kind, by, reason });
      return;
    }
    applyAndAck(args);
  });
}

/** A string tag is echoed (bounded: it is only an attempt's name); anything else is ignored. */
function requestTagOf(args: object): RequestTag {
  const { requestId } = args as { requestId?: unknown };
  return typeof requestId === 'string' && requestId.length <= MAX_REQUEST_ID ? { requestId } : {};
}

const MAX_REQUEST_ID = 128;
