import { HardwareError } from '../errors.js';
import { OUTCOME_MESSAGES } from './replies.js';
import type { ElmOutcome, ElmReply } from './replies.js';

/** The adapter answered with one of its error messages; `outcome` says which. */
export class AdapterReplyError extends HardwareError {
  readonly outcome: ElmOutcome;
  readonly reply: ElmReply;

  constructor(reply: ElmReply) {
    super('adapter_reply', `${reply.command}: ${OUTCOME_MESSAGES[reply.outcome]}`);
    this.outcome = reply.outcome;
    this.reply = reply;
  }
}
