// What VS Code says after Edit and Send… (no 'vscode' here: unit-tested): whether the edited
// message went, how many of the messages did, and how the answers compare with the captured ones.
import type { EditSendResult } from '../shared/requests';

export interface EditSendOutcome {
  text: string;
  /** Shown as a warning: the edited message, or messages after it, were not sent. */
  warning: boolean;
}

export function editSendOutcome(id: number, r: EditSendResult): EditSendOutcome {
  const notes = r.notes?.length ? ` ${r.notes.join('; ')}.` : '';
  const count = `${r.sent} of ${r.total} messages sent`;
  if (!r.editedSent) return { text: `The server stopped before the edited #${id}: ${count}, the edited one not.${notes}`, warning: true };
  const answers =
    r.different + r.missing + r.extra === 0
      ? 'every answer the same as captured'
      : `${r.different} answer${r.different === 1 ? ' differs' : 's differ'}, ${r.missing} missing, ${r.extra} new`;
  if (r.sent < r.total) return { text: `Sent the edited #${id}, then the server stopped: ${count}; ${answers}.${notes}`, warning: true };
  return { text: `Sent the edited #${id}: ${answers}.${notes}`, warning: false };
}
